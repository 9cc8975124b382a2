{
  "targets": [
    {
      "target_name": "ixfabric",
      "sources": [
        "ix_main.c",
        "ix_addr.c",
        "ix_ctl.c",
        "ix_poller.c",
        "ix_send.c",
        "ix_offload.c",
        "ix_uring.c"
      ],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"],
      "cflags!": ["-O3"],
      "cflags_c!": ["-O3"]
    }
  ]
}

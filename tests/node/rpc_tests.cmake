# JSON-RPC server (node/jsonrpc*, node/rpc_*, node/rate_limiter*): envelope conformance and
# methods against a fake backend, and a real HTTP server on 127.0.0.1 with an ephemeral port.
phalanx_add_test(rpc_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/jsonrpc_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/rpc_methods_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/rpc_server_test.cc
  LIBS phalanx_node
  LABELS fast)

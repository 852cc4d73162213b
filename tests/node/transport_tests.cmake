# The ZeroMQ/CurveZMQ transport: real sockets on 127.0.0.1 only, every wait bounded.
phalanx_add_test(transport_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/transport_test.cc
  LIBS phalanx_node
  LABELS fast)

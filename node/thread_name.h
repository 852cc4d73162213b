// Names the calling thread, so top -H, perf (`--sort comm`) and gdb tell a node's threads
// apart. Linux keeps at most 15 bytes of a name; longer names are cut.
// Thread-safety: names only the calling thread.
#pragma once

#include <pthread.h>

#include <string>

namespace phalanx::node {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace phalanx::node

// Linux /proc readings: a process's CPU time (/proc/PID/stat utime + stime) and anonymous
// resident memory (/proc/PID/status RssAnon: LMDB's file-backed map inflates plain RSS), the
// machine's busy fraction (/proc/stat), and a description of the machine.
// Thread-safety: pure functions over /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace phalanx::bench {

// User + system CPU seconds the process has used; nullopt once it is gone.
std::optional<double> process_cpu_s(pid_t pid);
// RssAnon in KiB; nullopt once it is gone.
std::optional<uint64_t> process_rss_anon_kib(pid_t pid);
// True when /proc/PID/cmdline names phalanxd (a recycled pid is not a node).
bool is_phalanxd(pid_t pid);

// Cumulative jiffies of all CPUs: busy and total.
struct CpuTimes {
  uint64_t busy = 0;
  uint64_t total = 0;
};
CpuTimes machine_cpu_times();

// {"cpu": model name, "cores": N, "memory_mib": M, "kernel": "..."}.
nlohmann::json machine_description();

}  // namespace phalanx::bench

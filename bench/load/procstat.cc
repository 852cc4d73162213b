#include "bench/load/procstat.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace phalanx::bench {
namespace {

std::optional<std::string> first_line_with(const std::string& path, const std::string& prefix) {
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> process_cpu_s(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(file, text)) return std::nullopt;
  // The command name (field 2) may hold spaces: fields are counted after its ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  // Fields 3.. follow; utime is field 14 and stime field 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<uint64_t> process_rss_anon_kib(pid_t pid) {
  auto value = first_line_with("/proc/" + std::to_string(pid) + "/status", "RssAnon:");
  if (!value) return std::nullopt;
  return std::stoull(*value);  // "   12345 kB"
}

bool is_phalanxd(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream file("/proc/" + std::to_string(pid) + "/cmdline");
  std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return cmdline.find("phalanxd") != std::string::npos;
}

CpuTimes machine_cpu_times() {
  auto line = first_line_with("/proc/stat", "cpu ");
  CpuTimes times;
  if (!line) return times;
  std::istringstream fields(*line);
  uint64_t value = 0;
  // user nice system idle iowait irq softirq steal ...
  for (int index = 0; fields >> value; ++index) {
    times.total += value;
    if (index != 3 && index != 4) times.busy += value;
  }
  return times;
}

nlohmann::json machine_description() {
  utsname name{};
  uname(&name);
  const auto model = first_line_with("/proc/cpuinfo", "model name");
  const auto memory = first_line_with("/proc/meminfo", "MemTotal:");
  std::string cpu = model ? *model : "unknown";
  cpu.erase(0, cpu.find_first_not_of(" \t:"));
  return {{"cpu", cpu},
          {"cores", std::thread::hardware_concurrency()},
          {"memory_mib", memory ? std::stoull(*memory) / 1024 : 0},
          {"kernel", std::string(name.release)}};
}

}  // namespace phalanx::bench

// phalanx-sim: runs the deterministic PBFT simulator.
//
//   phalanx-sim --seed S [--trace]         one seed; --trace prints one line per event
//   phalanx-sim --seeds A..B [--jobs N]    seeds A to B inclusive; prints each failure with
//                                          the command that replays it, then a summary
//   phalanx-sim --golden NAME [--rewrite-golden]   prints a scripted golden trace, or
//                                          rewrites tests/sim/testdata/NAME.golden
// Options for both: --mutation NAME (repeatable), --injector seed|always|never,
// --byzantine seed|always|never, --behaviours A+B+..., --no-certificate-check,
// --faults confined|wide (see --help).
// Exit status: 0 all passed, 1 a seed failed, 2 usage error.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "tests/sim/abort_note.h"
#include "tests/sim/golden.h"
#include "tests/sim/runner.h"

namespace {

using phalanx::sim::InjectorPolicy;

constexpr const char* kUsage =
    "usage: phalanx-sim --seed S [--trace] [options]\n"
    "       phalanx-sim --seeds A..B [--jobs N] [options]\n"
    "       phalanx-sim --golden view_change [--rewrite-golden]\n"
    "options:\n"
    "  --mutation NAME         break the replica on purpose: quorum_2f, skip_prev_hash_check,\n"
    "                          send_before_persist, view_change_without_prepared,\n"
    "                          new_view_not_rederived, catch_up_without_certificate_check\n"
    "                          (repeatable)\n"
    "  --byzantine MODE        up to f Byzantine replicas: seed (default: 3 seeds in 8),\n"
    "                          always, never\n"
    "  --behaviours A+B+...    what Byzantine replicas may do: equivocate, conflicting-votes,\n"
    "                          forged-signature, invalid-signature, stale-view, future-view,\n"
    "                          replay, garbage, silence, censor, bad-txs, drop-certificate,\n"
    "                          forged-catch-up\n"
    "  --injector MODE         Byzantine primary injector: seed (default: every 8th seed),\n"
    "                          always, never\n"
    "  --no-certificate-check  do not check commit certificates\n"
    "  --faults MODEL          confined (default: loss on the links of at most f faulty\n"
    "                          replicas) or wide (loss on every link)\n"
    "  --jobs N                threads for --seeds (default 1)\n"
    "  --help, --version\n";

struct Args {
  std::optional<uint64_t> seed;
  std::optional<std::pair<uint64_t, uint64_t>> seeds;
  bool trace = false;
  uint32_t jobs = 1;
  std::optional<std::string> golden;
  bool rewrite_golden = false;
  phalanx::sim::SimOptions options;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "phalanx-sim: %s (try --help)\n", message.c_str());
  std::exit(2);
}

uint64_t parse_number(const std::string& text, const char* what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 19) {
    usage_error(std::string("bad ") + what + " '" + text + "'");
  }
  return std::stoull(text);
}

void parse_mutation(const std::string& name, phalanx::consensus::Mutations* mutations) {
  if (name == "quorum_2f") {
    mutations->quorum_2f = true;
  } else if (name == "skip_prev_hash_check") {
    mutations->skip_prev_hash_check = true;
  } else if (name == "send_before_persist") {
    mutations->send_before_persist = true;
  } else if (name == "view_change_without_prepared") {
    mutations->view_change_without_prepared = true;
  } else if (name == "new_view_not_rederived") {
    mutations->new_view_not_rederived = true;
  } else if (name == "catch_up_without_certificate_check") {
    mutations->catch_up_without_certificate_check = true;
  } else {
    usage_error("unknown mutation '" + name + "'");
  }
}

InjectorPolicy parse_injector(const std::string& mode) {
  if (mode == "seed") return InjectorPolicy::kPerSeed;
  if (mode == "always") return InjectorPolicy::kAlways;
  if (mode == "never") return InjectorPolicy::kNever;
  usage_error("unknown injector mode '" + mode + "'");
}

phalanx::sim::ByzantinePolicy parse_byzantine(const std::string& mode) {
  if (mode == "seed") return phalanx::sim::ByzantinePolicy::kPerSeed;
  if (mode == "always") return phalanx::sim::ByzantinePolicy::kAlways;
  if (mode == "never") return phalanx::sim::ByzantinePolicy::kNever;
  usage_error("unknown Byzantine mode '" + mode + "'");
}

// "equivocate+censor" -> the bit set; each name as byzantine_behaviour_names() prints it.
uint32_t parse_behaviours(const std::string& text) {
  uint32_t behaviours = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('+', start), text.size());
    const std::string name = text.substr(start, end - start);
    bool known = false;
    for (uint32_t bit = 0; bit < phalanx::sim::kByzBehaviourCount; ++bit) {
      if (phalanx::sim::byzantine_behaviour_names(1u << bit) == name) {
        behaviours |= 1u << bit;
        known = true;
      }
    }
    if (!known) usage_error("unknown Byzantine behaviour '" + name + "'");
    start = end + 1;
  }
  return behaviours;
}

phalanx::sim::FaultModel parse_fault_model(const std::string& model) {
  if (model == "confined") return phalanx::sim::FaultModel::kConfined;
  if (model == "wide") return phalanx::sim::FaultModel::kWide;
  usage_error("unknown fault model '" + model + "'");
}

std::pair<uint64_t, uint64_t> parse_range(const std::string& text) {
  const size_t dots = text.find("..");
  if (dots == std::string::npos) usage_error("--seeds wants A..B, got '" + text + "'");
  const uint64_t first = parse_number(text.substr(0, dots), "first seed");
  const uint64_t last = parse_number(text.substr(dots + 2), "last seed");
  if (first > last) usage_error("--seeds " + text + ": first seed is after the last");
  return {first, last};
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (flag == "--version") {
      std::puts("phalanx-sim 0.1.0");
      std::exit(0);
    } else if (flag == "--seed") {
      args.seed = parse_number(value(), "seed");
    } else if (flag == "--seeds") {
      args.seeds = parse_range(value());
    } else if (flag == "--golden") {
      args.golden = value();
      const auto names = phalanx::sim::golden_names();
      if (std::find(names.begin(), names.end(), *args.golden) == names.end()) {
        usage_error("unknown golden script '" + *args.golden + "'");
      }
    } else if (flag == "--rewrite-golden") {
      args.rewrite_golden = true;
    } else if (flag == "--trace") {
      args.trace = true;
    } else if (flag == "--jobs") {
      args.jobs = static_cast<uint32_t>(parse_number(value(), "job count"));
      if (args.jobs < 1 || args.jobs > 64) usage_error("--jobs must be 1..64");
    } else if (flag == "--mutation") {
      parse_mutation(value(), &args.options.mutations);
    } else if (flag == "--injector") {
      args.options.injector = parse_injector(value());
    } else if (flag == "--byzantine") {
      args.options.byzantine = parse_byzantine(value());
    } else if (flag == "--behaviours") {
      args.options.byzantine_behaviours = parse_behaviours(value());
    } else if (flag == "--faults") {
      args.options.fault_model = parse_fault_model(value());
    } else if (flag == "--no-certificate-check") {
      args.options.check_certificates = false;
    } else {
      usage_error("unknown option '" + flag + "'");
    }
  }
  if (args.rewrite_golden && !args.golden) usage_error("--rewrite-golden needs --golden");
  if (args.golden) return args;
  if (args.seed.has_value() == args.seeds.has_value()) usage_error("give --seed or --seeds");
  if (args.trace && args.seeds) usage_error("--trace works with --seed only");
  return args;
}

int run_one(Args& args) {
  phalanx::sim::install_abort_handler();
  args.options.seed = *args.seed;
  phalanx::sim::set_abort_note(phalanx::sim::replay_command(args.options));
  const auto result = phalanx::sim::run_simulation(args.options, args.trace ? &std::cout : nullptr);
  std::cout << phalanx::sim::summarize(result) << '\n';
  if (!result.passed()) {
    std::cout << "plan: " << result.plan.describe() << '\n'
              << "replay: " << phalanx::sim::replay_command(args.options) << '\n';
    return 1;
  }
  return 0;
}

int run_golden(const Args& args) {
  const phalanx::sim::GoldenRun run = phalanx::sim::run_golden(*args.golden);
  for (const std::string& failure : run.failures) {
    std::fprintf(stderr, "phalanx-sim: golden %s: %s\n", args.golden->c_str(), failure.c_str());
  }
  if (!args.rewrite_golden) {
    std::cout << run.trace;
    return run.failures.empty() ? 0 : 1;
  }
  const std::string path = phalanx::sim::golden_path(PHALANX_SIM_TESTDATA, *args.golden);
  const phalanx::Status written = phalanx::sim::write_golden(path, run.trace);
  if (!written.is_ok()) {
    std::fprintf(stderr, "phalanx-sim: %s\n", written.message().c_str());
    return 1;
  }
  std::cout << "wrote " << path << '\n';
  return run.failures.empty() ? 0 : 1;
}

int run_range(const Args& args) {
  phalanx::sim::RangeOptions range;
  range.first = args.seeds->first;
  range.last = args.seeds->second;
  range.base = args.options;
  range.jobs = args.jobs;
  const auto report = phalanx::sim::run_seeds(range, [](const phalanx::sim::RunResult& result) {
    if (result.passed()) return;
    std::cout << phalanx::sim::summarize(result)
              << "\n  replay: " << phalanx::sim::replay_command(result.options) << std::endl;
  });
  std::cout << "summary: seeds " << range.first << ".." << range.last << ": "
            << report.summary_line() << '\n';
  return report.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  if (args.golden) return run_golden(args);
  return args.seed ? run_one(args) : run_range(args);
}

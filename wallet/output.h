// What a command produced, and how it is printed. A command returns an Outcome holding both
// renderings — text for people, one JSON document for --json — and run_wallet prints the
// one asked for. Failures print one line "phalanx-wallet: error: ..." on stderr; with
// --json, stdout also gets {"error":{"message":...}} ("code" and "data" added when the node
// sent them), or the command's own document when it has one (send: {"hash","status",...}).
// Thread-safety: value types; print_outcome writes to the streams in WalletIo.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "wallet/node_api.h"
#include "wallet/wallet.h"

namespace phalanx::wallet {

struct Outcome {
  int exit_code = kExitOk;
  std::string text;                        // stdout without --json
  std::optional<nlohmann::json> document;  // stdout with --json
  std::string error;                       // one line on stderr when non-empty
  std::vector<std::string> notes;          // informational lines on stderr
};

// A value, or the Outcome that reports why there is none (a usage error or a failure).
template <typename T>
using Checked = std::variant<T, Outcome>;

using Fields = std::vector<std::pair<std::string, std::string>>;

// "key: value" lines.
std::string field_lines(const Fields& fields);

Outcome success(std::string text, nlohmann::json document);
Outcome usage_error(const std::string& message);
Outcome failure(const std::string& message, int exit_code = kExitFailure);
// `context` is prepended to the failure's message ("cannot read the balance: ...").
Outcome call_failed(const CallFailure& call, const std::string& context,
                    int exit_code = kExitFailure);

nlohmann::json error_document(const std::string& message,
                              const std::optional<NodeError>& node_error);

// Control characters (other than '\n') become '?', so a node's message cannot move the
// cursor or forge lines on the user's terminal.
std::string printable(std::string text);

void print_outcome(const Outcome& outcome, bool json, const WalletIo& io);

}  // namespace phalanx::wallet

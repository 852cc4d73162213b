#include "wallet/output.h"

namespace phalanx::wallet {

using nlohmann::json;

std::string field_lines(const Fields& fields) {
  std::string text;
  for (const auto& [key, value] : fields) text += key + ": " + value + "\n";
  return text;
}

Outcome success(std::string text, json document) {
  Outcome outcome;
  outcome.text = std::move(text);
  outcome.document = std::move(document);
  return outcome;
}

json error_document(const std::string& message, const std::optional<NodeError>& node_error) {
  json error = {{"message", message}};
  if (node_error) {
    error["code"] = node_error->code;
    if (!node_error->data.is_null()) error["data"] = node_error->data;
  }
  return json{{"error", error}};
}

Outcome usage_error(const std::string& message) {
  return failure(message + " (see --help)", kExitUsage);
}

Outcome failure(const std::string& message, int exit_code) {
  Outcome outcome;
  outcome.exit_code = exit_code;
  outcome.error = message;
  outcome.document = error_document(message, std::nullopt);
  return outcome;
}

Outcome call_failed(const CallFailure& call, const std::string& context, int exit_code) {
  Outcome outcome = failure(context + ": " + call.message, exit_code);
  outcome.document = error_document(outcome.error, call.node_error);
  return outcome;
}

std::string printable(std::string text) {
  for (char& c : text) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) c = '?';
  }
  return text;
}

void print_outcome(const Outcome& outcome, bool json_output, const WalletIo& io) {
  if (json_output && outcome.document) {
    // Replace, not throw, should a message quote invalid UTF-8 (a node's raw HTTP body).
    *io.out << outcome.document->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else if (!json_output) {
    *io.out << printable(outcome.text);
  }
  for (const std::string& note : outcome.notes) {
    *io.err << "phalanx-wallet: " << printable(note) << "\n";
  }
  if (!outcome.error.empty()) {
    *io.err << "phalanx-wallet: error: " << printable(outcome.error) << "\n";
  }
  io.out->flush();
  io.err->flush();
}

}  // namespace phalanx::wallet

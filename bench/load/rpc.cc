#include "bench/load/rpc.h"

namespace phalanx::bench {
namespace {

Result<Reply> parse_one(const Json& object) {
  if (!object.is_object() || object.value("jsonrpc", Json()) != "2.0") {
    return Status::error("a reply is not a JSON-RPC 2.0 response");
  }
  Reply reply;
  if (object.contains("error")) {
    const Json& error = object["error"];
    if (!error.is_object() || !error.value("code", Json()).is_number_integer()) {
      return Status::error("a reply's error has no integer code");
    }
    reply.error_code = error["code"].get<int64_t>();
    reply.error_message = error.value("message", std::string());
    return reply;
  }
  if (!object.contains("result")) return Status::error("a reply has neither result nor error");
  reply.result = object["result"];
  return reply;
}

}  // namespace

namespace {

wallet::RpcEndpoint endpoint_of(const std::string& url) {
  auto endpoint = wallet::parse_rpc_url(url);
  PHALANX_ASSERT_MSG(endpoint.is_ok(), "RPC URL not checked by load_testnet");
  return *endpoint;
}

}  // namespace

RpcConnection::RpcConnection(const std::string& url, int timeout_ms)
    : transport_(url, endpoint_of(url), wallet::RpcTimeouts{timeout_ms, timeout_ms},
                 kReplyBytesMax) {}

RpcConnection::~RpcConnection() = default;

Result<Reply> RpcConnection::call(const std::string& method, Json params) {
  const Json request = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", method}, {"params", params}};
  auto body = transport_.post(request.dump());
  if (!body) return body.status();
  const Json reply = Json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) return Status::error(url() + ": " + method + ": the reply is not JSON");
  auto parsed = parse_one(reply);
  if (!parsed) return Status::error(url() + ": " + method + ": " + parsed.message());
  return parsed;
}

Result<std::vector<Reply>> RpcConnection::batch(const std::vector<Call>& calls) {
  Json request = Json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    request.push_back(
        {{"jsonrpc", "2.0"}, {"id", i}, {"method", calls[i].method}, {"params", calls[i].params}});
  }
  return batch_body(request.dump(), calls.size());
}

// Replies of a batch may come in any order (JSON-RPC 2.0 section 6): they are put back in
// call order by id.
Result<std::vector<Reply>> RpcConnection::batch_body(const std::string& body, size_t count) {
  auto text = transport_.post(body);
  if (!text) return text.status();
  const Json replies = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (replies.is_discarded() || !replies.is_array() || replies.size() != count) {
    return Status::error(url() + ": a batch of " + std::to_string(count) +
                         " calls got a malformed reply: " + text->substr(0, 200));
  }
  std::vector<Reply> ordered(count);
  std::vector<char> seen(count, 0);
  for (const Json& object : replies) {
    const Json id = object.value("id", Json());
    if (!id.is_number_unsigned() || id.get<uint64_t>() >= count || seen[id.get<uint64_t>()]) {
      return Status::error(
          url() + ": a batch reply has a missing or repeated id: " + object.dump().substr(0, 200));
    }
    auto reply = parse_one(object);
    if (!reply) return Status::error(url() + ": " + reply.message());
    seen[id.get<uint64_t>()] = 1;
    ordered[id.get<uint64_t>()] = std::move(*reply);
  }
  return ordered;
}

}  // namespace phalanx::bench

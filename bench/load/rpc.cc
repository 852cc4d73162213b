#include "bench/load/rpc.h"

#include <httplib.h>

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

RpcConnection::RpcConnection(const std::string& url, int timeout_ms)
    : url_(url), client_(std::make_unique<httplib::Client>(url)) {
  client_->set_connection_timeout(std::chrono::milliseconds(timeout_ms));
  client_->set_read_timeout(std::chrono::milliseconds(timeout_ms));
  client_->set_write_timeout(std::chrono::milliseconds(timeout_ms));
  client_->set_keep_alive(true);
  // Headers and body go out in two writes; without this, Nagle holds the body until the
  // node's delayed ACK (up to 40 ms per call on Linux).
  client_->set_tcp_nodelay(true);
}

RpcConnection::~RpcConnection() = default;

Result<std::string> RpcConnection::post(const std::string& body) {
  std::string reply;
  httplib::Request request;
  request.method = "POST";
  request.path = "/";
  request.body = body;
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [&reply](const char* data, size_t size, uint64_t, uint64_t) {
    if (reply.size() + size > kReplyBytesMax) return false;
    reply.append(data, size);
    return true;
  };
  httplib::Result result = client_->send(request);
  if (!result) return Status::error(url_ + ": " + httplib::to_string(result.error()));
  if (result->status != 200) {
    return Status::error(url_ + " answered HTTP " + std::to_string(result->status) + ": " +
                         reply.substr(0, 200));
  }
  return reply;
}

Result<Reply> RpcConnection::call(const std::string& method, Json params) {
  const Json request = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", method}, {"params", params}};
  auto body = post(request.dump());
  if (!body) return body.status();
  const Json reply = Json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) return Status::error(url_ + ": " + method + ": the reply is not JSON");
  auto parsed = parse_one(reply);
  if (!parsed) return Status::error(url_ + ": " + method + ": " + parsed.message());
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
  auto text = post(body);
  if (!text) return text.status();
  const Json replies = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (replies.is_discarded() || !replies.is_array() || replies.size() != count) {
    return Status::error(url_ + ": a batch of " + std::to_string(count) +
                         " calls got a malformed reply: " + text->substr(0, 200));
  }
  std::vector<Reply> ordered(count);
  std::vector<char> seen(count, 0);
  for (const Json& object : replies) {
    const Json id = object.value("id", Json());
    if (!id.is_number_unsigned() || id.get<uint64_t>() >= count || seen[id.get<uint64_t>()]) {
      return Status::error(
          url_ + ": a batch reply has a missing or repeated id: " + object.dump().substr(0, 200));
    }
    auto reply = parse_one(object);
    if (!reply) return Status::error(url_ + ": " + reply.message());
    seen[id.get<uint64_t>()] = 1;
    ordered[id.get<uint64_t>()] = std::move(*reply);
  }
  return ordered;
}

}  // namespace phalanx::bench

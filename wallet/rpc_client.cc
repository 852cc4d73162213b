#include "wallet/rpc_client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

namespace phalanx::wallet {
namespace {

using nlohmann::json;

// How much of an unexpected HTTP body is quoted in an error.
constexpr size_t kQuotedBodyCharsMax = 200;

std::string quote_body(const std::string& body) {
  std::string text = body.substr(0, kQuotedBodyCharsMax);
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return body.size() > kQuotedBodyCharsMax ? text + "..." : text;
}

std::string transport_error(const std::string& url, httplib::Error error, size_t reply_bytes_max,
                            const std::string& unreachable_hint) {
  switch (error) {
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
      return "cannot reach the node at " + url + " (" + httplib::to_string(error) +
             "); is phalanxd running there?" + unreachable_hint;
    case httplib::Error::Canceled:
      return "the node at " + url + " sent a reply larger than " + std::to_string(reply_bytes_max) +
             " bytes";
    default:
      return "request to the node at " + url + " failed: " + httplib::to_string(error);
  }
}

Result<NodeError> parse_node_error(const json& error) {
  if (!error.is_object() || !error.contains("code") || !error["code"].is_number_integer() ||
      !error.contains("message") || !error["message"].is_string()) {
    return Status::error("its \"error\" member lacks an integer code or a string message");
  }
  NodeError parsed;
  parsed.code = error["code"].get<int64_t>();
  parsed.message = error["message"].get<std::string>();
  if (error.contains("data")) parsed.data = error["data"];
  return parsed;
}

// Checks the JSON-RPC 2.0 response envelope for request `id`.
Result<RpcReply> parse_reply(const std::string& body, int64_t id) {
  const json reply = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) return Status::error("the reply is not JSON: " + quote_body(body));
  if (!reply.is_object() || reply.value("jsonrpc", json()) != "2.0") {
    return Status::error("the reply is not a JSON-RPC 2.0 response: " + quote_body(body));
  }
  const bool has_result = reply.contains("result");
  const bool has_error = reply.contains("error");
  if (has_result == has_error) {
    return Status::error("the reply must hold exactly one of \"result\" and \"error\"");
  }
  RpcReply parsed;
  if (has_error) {
    auto error = parse_node_error(reply["error"]);
    if (!error) return error.status();
    parsed.error = std::move(*error);
    return parsed;  // the id may be null when the node could not read ours
  }
  if (reply.value("id", json()) != json(id)) {
    return Status::error("the reply answers request id " + reply.value("id", json()).dump() +
                         ", not " + std::to_string(id));
  }
  parsed.result = reply["result"];
  return parsed;
}

}  // namespace

Result<RpcEndpoint> parse_rpc_url(const std::string& url) {
  const std::string usage = "RPC URL '" + url + "' must look like http://HOST:PORT";
  const size_t separator = url.find("://");
  if (separator == std::string::npos) return Status::error(usage);
  RpcEndpoint endpoint;
  endpoint.scheme = url.substr(0, separator);
  std::transform(endpoint.scheme.begin(), endpoint.scheme.end(), endpoint.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return Status::error(usage + " (scheme '" + endpoint.scheme + "' is not http or https)");
  }
  const std::string rest = url.substr(separator + 3);
  const size_t slash = rest.find('/');
  endpoint.host_port = rest.substr(0, slash);
  endpoint.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (endpoint.host_port.empty()) return Status::error(usage + " (no host)");
  const size_t colon = endpoint.host_port.rfind(':');
  const size_t bracket = endpoint.host_port.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    const std::string port = endpoint.host_port.substr(colon + 1);
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!digits || std::stoi(port) > 65535) {
      return Status::error(usage + " (bad port '" + port + "')");
    }
  }
  return endpoint;
}

RpcTransport::RpcTransport(std::string url, const RpcEndpoint& endpoint, RpcTimeouts timeouts,
                           size_t reply_bytes_max, std::string unreachable_hint)
    : url_(std::move(url)),
      path_(endpoint.path),
      reply_bytes_max_(reply_bytes_max),
      unreachable_hint_(std::move(unreachable_hint)),
      client_(std::make_unique<httplib::Client>(endpoint.scheme + "://" + endpoint.host_port)) {
  client_->set_connection_timeout(std::chrono::milliseconds(timeouts.connect_ms));
  client_->set_read_timeout(std::chrono::milliseconds(timeouts.read_ms));
  client_->set_write_timeout(std::chrono::milliseconds(timeouts.read_ms));
  client_->set_keep_alive(true);  // the wallet's --wait polls, the benchmark's batches
  // httplib writes headers and body separately; on a reused connection Nagle's algorithm
  // would hold the body until the node's delayed ACK (up to 200 ms per call).
  client_->set_tcp_nodelay(true);
}

RpcTransport::~RpcTransport() = default;

Result<std::string> RpcTransport::post(const std::string& body) {
  std::string reply;
  httplib::Request request;
  request.method = "POST";
  request.path = path_;
  request.body = body;
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (reply.size() + size > reply_bytes_max_) return false;
    reply.append(data, size);
    return true;
  };
  httplib::Result result = client_->send(request);
  if (!result) {
    return Status::error(
        transport_error(url_, result.error(), reply_bytes_max_, unreachable_hint_));
  }
  if (result->status != 200 && reply.find("\"jsonrpc\"") == std::string::npos) {
    return Status::error("the node at " + url_ + " answered HTTP " +
                         std::to_string(result->status) + ": " + quote_body(reply));
  }
  return reply;
}

RpcClient::RpcClient(std::string url, const RpcEndpoint& endpoint, RpcTimeouts timeouts)
    : transport_(std::move(url), endpoint, timeouts, kRpcReplyBytesMax,
                 " Set --rpc URL or PHALANX_RPC") {}

RpcClient::~RpcClient() = default;

Result<RpcReply> RpcClient::call(const std::string& method, const json& params) {
  PHALANX_ASSERT(params.is_array());
  const int64_t id = next_id_++;
  const json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
  auto body = transport_.post(request.dump());
  if (!body) return body.status();
  auto reply = parse_reply(*body, id);
  if (!reply) {
    return Status::error("bad reply from the node at " + url() + " to " + method + ": " +
                         reply.message());
  }
  return reply;
}

}  // namespace phalanx::wallet

// JSON-RPC 2.0 envelope processing (https://www.jsonrpc.org/specification), independent of
// HTTP: one request body in, one response body (or none) out. It owns the protocol rules —
// parsing with a nesting bound, request validation, batches, notifications, ids and the
// standard error objects — and hands each valid call to a Dispatcher that owns the methods.
//
//   body        := request | batch
//   batch       := "[" request ("," request)* "]"      1 .. batch_max elements
//   request     := {"jsonrpc": "2.0", "method": string, ["params": array | object],
//                   ["id": string | number | null]}    no "id" member = notification
//
// Rules applied:
//   - unparsable JSON, invalid UTF-8, numbers out of double range, nesting deeper than
//     depth_max                                          -> one -32700 response, id null
//   - an empty batch, or one longer than batch_max      -> one -32600 response, id null
//   - a non-object, jsonrpc != "2.0", a non-string method, params that are neither array
//     nor object, an id that is not string/number/null  -> -32600 (answered even without
//     an id; the id is echoed when it has a valid type, else null)
//   - a notification gets no response, even when it fails; a body holding only
//     notifications gets none at all (handle_body returns nullopt)
//   - a Dispatcher that throws yields -32603 for that call only
//   - a call may answer Deferred (work handed elsewhere, e.g. a transaction to the node's
//     event loop): in a batch every call is dispatched first, in batch order, and the
//     deferred ones are finished afterwards, in batch order, so their waits overlap
// Members other than jsonrpc/method/params/id are ignored, as most servers do.
//
// Thread-safety: pure functions; the Dispatcher and every Deferred::finish are called on the
// caller's thread, once per valid call, in batch order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace phalanx::node::jsonrpc {

using Json = nlohmann::json;

// Standard codes (JSON-RPC 2.0 section 5.1).
constexpr int32_t kParseError = -32700;
constexpr int32_t kInvalidRequest = -32600;
constexpr int32_t kMethodNotFound = -32601;
constexpr int32_t kInvalidParams = -32602;
constexpr int32_t kInternalError = -32603;

struct Error {
  int32_t code = kInternalError;
  std::string message;
  Json data;  // omitted from the response when null
};

// A method's final answer: its result, or an error.
using Answer = std::variant<Json, Error>;
// A method that started its work and answers later: `finish` waits for the answer (bounded
// by the method) and is called exactly once. It may throw (-32603 for that call only).
struct Deferred {
  std::function<Answer()> finish;
};
// What a method returns: its result, an error, or a deferred answer.
using Outcome = std::variant<Json, Error, Deferred>;

struct Call {
  const std::string& method;
  const Json& params;  // an array or an object; null when the request had no params
  bool notification;   // true: the response will be dropped
};

using Dispatcher = std::function<Outcome(const Call&)>;

struct Limits {
  size_t batch_max = 100;  // calls per batch
  size_t depth_max = 16;   // nesting of arrays and objects; the batch array counts as one
};

// Processes one request body. Returns the response body, or nullopt when no response is
// due (only notifications). Never throws.
std::optional<std::string> handle_body(std::string_view body, const Limits& limits,
                                       const Dispatcher& dispatch);

// The deepest nesting of arrays/objects in `text`, counted outside strings; stops counting
// (and returns depth_max + 1) as soon as it exceeds depth_max, so it is O(n) with no
// allocation. Exact for valid JSON; for invalid JSON the parser reports the error.
size_t nesting_depth(std::string_view text, size_t depth_max);

// Serialises a response; invalid UTF-8 (which cannot come from the parser, but may come
// from a message) is replaced rather than thrown.
std::string dump(const Json& value);

Json error_object(const Error& error);
Json error_response(const Error& error, const Json& id);
Json result_response(Json result, const Json& id);

}  // namespace phalanx::node::jsonrpc

// ZAP policy and the non-blocking request/reply step. Malformed requests are answered (a REP
// socket must reply before it can read again) with 500 and never admitted.
#include "node/zap.h"

#include <zmq.h>

#include <algorithm>
#include <string_view>

#include "node/transport_zmq.h"

namespace phalanx::node {
namespace {

enum ZapFrame : size_t {
  kVersion = 0,
  kRequestId = 1,
  kDomain = 2,
  kPeerAddress = 3,
  kRoutingId = 4,
  kMechanism = 5,
  kCredentials = 6,
  kCurveFrameCount = 7,
};

std::string_view text(const Bytes& frame) {
  return std::string_view(reinterpret_cast<const char*>(frame.data()), frame.size());
}

ZapDecision reject(std::string code, std::string why, std::string address) {
  ZapDecision decision;
  decision.status_code = std::move(code);
  decision.status_text = std::move(why);
  decision.peer_address = std::move(address);
  return decision;
}

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

ZapPolicy::ZapPolicy(std::vector<CurvePublicKey> validator_keys, uint32_t self) {
  PHALANX_ASSERT(self < validator_keys.size());
  for (uint32_t i = 0; i < validator_keys.size(); ++i) {
    if (i == self) continue;
    const bool inserted = index_by_key_.emplace(validator_keys[i], i).second;
    PHALANX_ASSERT_MSG(inserted, "two validators share one Curve key");
  }
}

ZapDecision ZapPolicy::decide(std::span<const Bytes> request) const {
  if (request.size() != kCurveFrameCount || text(request[kVersion]) != "1.0") {
    return reject("500", "malformed ZAP request", "");
  }
  std::string address(text(request[kPeerAddress]));
  if (text(request[kDomain]) != kZapDomain) {
    return reject("400", "wrong ZAP domain", address);
  }
  if (text(request[kMechanism]) != "CURVE") {
    return reject("400", "mechanism is not CURVE", address);
  }
  const Bytes& credentials = request[kCredentials];
  CurvePublicKey key{};
  if (credentials.size() != key.size()) return reject("400", "malformed CURVE key", address);
  std::copy(credentials.begin(), credentials.end(), key.begin());
  auto found = index_by_key_.find(key);
  if (found == index_by_key_.end()) {
    return reject("400", "CURVE key " + hex_encode(key) + " is not a peer validator", address);
  }
  ZapDecision decision;
  decision.validator = found->second;
  decision.status_code = "200";
  decision.status_text = "OK";
  decision.peer_address = std::move(address);
  return decision;
}

std::vector<Bytes> zap_reply(std::span<const Bytes> request, const ZapDecision& decision) {
  std::vector<Bytes> reply;
  reply.push_back(to_bytes("1.0"));
  reply.push_back(request.size() > kRequestId ? request[kRequestId] : Bytes{});
  reply.push_back(to_bytes(decision.status_code));
  reply.push_back(to_bytes(decision.status_text));
  reply.push_back(decision.admitted() ? to_bytes(std::to_string(*decision.validator)) : Bytes{});
  reply.push_back(Bytes{});  // metadata: none
  return reply;
}

namespace {

struct ZapRequest {
  std::vector<Bytes> frames;
  bool within_bounds = true;
};

// Reads every frame of one request (a multipart message arrives whole). Frames past the
// bounds are drained and discarded, and the request is then answered as malformed.
Result<std::optional<ZapRequest>> read_request(void* socket) {
  ZapRequest request;
  bool more = true;
  bool first = true;
  while (more) {
    ZmqMessage frame;
    if (zmq_msg_recv(frame.get(), socket, first ? ZMQ_DONTWAIT : 0) < 0) {
      if (first && zmq_errno() == EAGAIN) return std::optional<ZapRequest>();
      return zmq_failure("reading a ZAP request");
    }
    first = false;
    more = frame.more();
    if (request.frames.size() >= zap_request_frames_max ||
        frame.size() > zap_request_frame_bytes_max) {
      request.within_bounds = false;
      continue;
    }
    request.frames.emplace_back(frame.data(), frame.data() + frame.size());
  }
  return std::optional<ZapRequest>(std::move(request));
}

Status send_reply(void* socket, const std::vector<Bytes>& reply) {
  for (size_t i = 0; i < reply.size(); ++i) {
    const int flags = i + 1 < reply.size() ? ZMQ_SNDMORE : 0;
    if (zmq_send(socket, reply[i].data(), reply[i].size(), flags) < 0) {
      return zmq_failure("sending a ZAP reply");
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::optional<ZapDecision>> zap_serve_one(void* zap_socket, const ZapPolicy& policy) {
  auto request = read_request(zap_socket);
  if (!request) return request.status();
  if (!request->has_value()) return std::optional<ZapDecision>();
  const std::vector<Bytes>& frames = (*request)->frames;
  ZapDecision decision = (*request)->within_bounds
                             ? policy.decide(frames)
                             : reject("500", "ZAP request exceeds its bounds", "");
  PHALANX_RETURN_IF_ERROR(send_reply(zap_socket, zap_reply(frames, decision)));
  return std::optional<ZapDecision>(std::move(decision));
}

}  // namespace phalanx::node

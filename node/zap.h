// ZAP (ZeroMQ RFC 27) admission for the transport's CURVE server. libzmq asks the handler
// bound on inproc://zeromq.zap.01 of the socket's context about every CURVE handshake;
// the policy here admits exactly the Curve keys of the validator set (other than this
// node's own) and answers with the validator's index as ZAP user id. libzmq then attaches
// that user id to every frame of the connection as the message property "User-Id", so the
// transport attributes each inbound frame to a validator authenticated by its key, never by
// a field the sender wrote.
//
// Request frames (RFC 27):  version="1.0" request_id domain address routing_id
//                           mechanism="CURVE" client_public_key:32
// Reply frames:             version="1.0" request_id status_code status_text user_id
//                           metadata=""
// status_code: "200" admitted (user_id = decimal validator index), "400" refused (not a
// validator key, wrong domain or mechanism), "500" malformed request.
//
// Thread-safety: ZapPolicy is immutable after construction (decide() is reentrant);
// zap_serve_one() uses its socket, which only the transport's I/O thread touches.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "node/curve.h"

namespace phalanx::node {

inline constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
inline constexpr const char* kZapDomain = "phalanx";
// RFC 27 allows more frames for other mechanisms; CURVE sends 7. Anything longer is
// malformed, and every frame is bounded before it is copied.
inline constexpr size_t zap_request_frames_max = 8;
inline constexpr size_t zap_request_frame_bytes_max = 256;

struct ZapDecision {
  std::optional<uint32_t> validator;  // set exactly when admitted
  std::string status_code;            // "200", "400" or "500"
  std::string status_text;            // why, for the reply and for logs
  std::string peer_address;           // the TCP peer as libzmq reports it, for logs
  bool admitted() const { return validator.has_value(); }
};

class ZapPolicy {
 public:
  // validator_keys[i] is validator i's Curve public key; `self` is never admitted.
  ZapPolicy(std::vector<CurvePublicKey> validator_keys, uint32_t self);

  ZapDecision decide(std::span<const Bytes> request) const;

 private:
  std::map<CurvePublicKey, uint32_t> index_by_key_;
};

// The reply frames for `request` under `decision` (the request id is echoed; empty when the
// request was too malformed to carry one).
std::vector<Bytes> zap_reply(std::span<const Bytes> request, const ZapDecision& decision);

// Serves one pending request on `zap_socket` (a REP socket bound to kZapEndpoint) without
// blocking. Returns nullopt when no request was waiting; otherwise the decision, after the
// reply has been sent. Errors are zmq failures other than "nothing to read".
Result<std::optional<ZapDecision>> zap_serve_one(void* zap_socket, const ZapPolicy& policy);

}  // namespace phalanx::node

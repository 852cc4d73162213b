// The transport over real sockets on 127.0.0.1: all-to-all delivery attributed by key,
// reconnection after a restart, refusal of keys outside the validator set, size bounds,
// garbage on the TCP port, and sends to dead or slow peers that never block. Every wait is
// a condition polled against a deadline; every test finishes in well under a second when
// it passes.
#include "node/transport.h"

#include <fcntl.h>

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/curve.h"
#include "node/zap.h"
#include "node/zmq_tsan_suppression.h"
#include "tests/node/transport_harness.h"

namespace phalanx::node {
namespace {

TEST(Curve, ConvertsTheValidatorKeyConsistently) {
  auto pair = CurveKeyPair::from_ed25519(validator_key(1));
  auto from_public = curve_public_key(validator_key(1).public_key());
  ASSERT_TRUE(from_public.is_ok());
  EXPECT_EQ(*from_public, pair.public_key());
  EXPECT_NE(pair.public_key(), curve_of(2));
  CurvePublicKey derived{};
  ASSERT_EQ(crypto_scalarmult_base(derived.data(), pair.secret_key().data()), 0);
  EXPECT_EQ(derived, pair.public_key());
}

TEST(Curve, RefusesAKeyThatIsNoCurvePoint) {
  crypto::PublicKey small_order{};  // the identity point's encoding has small order
  small_order[0] = 1;
  auto converted = curve_public_key(small_order);
  ASSERT_FALSE(converted.is_ok());
  EXPECT_NE(converted.message().find("not a valid curve point"), std::string::npos);
}

std::vector<Bytes> zap_request(const std::string& domain, const std::string& mechanism,
                               ByteSpan key) {
  return {text_frame("1.0"),
          text_frame("req-7"),
          text_frame(domain),
          text_frame("127.0.0.1"),
          text_frame("routing"),
          text_frame(mechanism),
          Bytes(key.begin(), key.end())};
}

TEST(ZapPolicy, AdmitsPeerValidatorsByKeyAndNamesThem) {
  ZapPolicy policy({curve_of(0), curve_of(1), curve_of(2)}, /*self=*/0);
  ZapDecision decision = policy.decide(zap_request(kZapDomain, "CURVE", curve_of(2)));
  ASSERT_TRUE(decision.admitted());
  EXPECT_EQ(*decision.validator, 2u);
  auto reply = zap_reply(zap_request(kZapDomain, "CURVE", curve_of(2)), decision);
  ASSERT_EQ(reply.size(), 6u);
  EXPECT_EQ(frame_text(reply[1]), "req-7");
  EXPECT_EQ(frame_text(reply[2]), "200");
  EXPECT_EQ(frame_text(reply[4]), "2");
}

TEST(ZapPolicy, RefusesEverythingElse) {
  ZapPolicy policy({curve_of(0), curve_of(1), curve_of(2)}, /*self=*/0);
  auto outsider = outsider_keys().first;
  struct Case {
    std::vector<Bytes> request;
    std::string code;
  };
  std::vector<Case> cases = {
      {zap_request(kZapDomain, "CURVE", outsider), "400"},
      {zap_request(kZapDomain, "CURVE", curve_of(0)), "400"},  // our own key
      {zap_request("other", "CURVE", curve_of(1)), "400"},
      {zap_request(kZapDomain, "PLAIN", curve_of(1)), "400"},
      {zap_request(kZapDomain, "CURVE", ByteSpan(curve_of(1)).first(31)), "400"},
      {{text_frame("1.0"), text_frame("req-7")}, "500"},
  };
  for (const Case& c : cases) {
    ZapDecision decision = policy.decide(c.request);
    EXPECT_FALSE(decision.admitted());
    EXPECT_EQ(decision.status_code, c.code) << decision.status_text;
    auto reply = zap_reply(c.request, decision);
    EXPECT_TRUE(reply[4].empty());  // no user id for a refused client
  }
}

TEST(TransportConfig, RefusesAnIdentityThatIsNotSelfsKey) {
  Cluster cluster(4);
  TransportConfig config = cluster.config(0);
  config.identity = CurveKeyPair::from_ed25519(validator_key(1));
  Transport transport(std::move(config), nullptr);
  Status status = transport.start();
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("identity key is not validator 0"), std::string::npos);
}

TEST(TransportConfig, ReportsAnEndpointThatCannotBeBound) {
  Cluster cluster(4);
  RawSocket squatter(ZMQ_PULL);
  squatter.bind(cluster.endpoint_of(0));
  Transport transport(cluster.config(0), nullptr);
  Status status = transport.start();
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("cannot bind " + cluster.endpoint_of(0)), std::string::npos)
      << status.message();
}

TEST(TransportConfig, RefusesASourceHostThatIsNotAnAddress) {
  Cluster cluster(4);
  TransportConfig config = cluster.config(0);
  config.source_host = "127.0.0.1;tcp://x";
  Transport transport(std::move(config), nullptr);
  Status status = transport.start();
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("source host"), std::string::npos) << status.message();
}

// The address validator 0's connection to validator 1 (a plain listener) comes from.
std::string dialled_from(const std::string& source_host) {
  Cluster cluster(2);
  const int listener = frozen_listener(cluster.port_of(1));
  fcntl(listener, F_SETFL, O_NONBLOCK);  // accept() polls against the deadline
  TransportConfig config = cluster.config(0);
  config.source_host = source_host;
  cluster.start(0, std::move(config));
  sockaddr_in peer{};
  socklen_t length = sizeof(peer);
  int accepted = -1;
  EXPECT_TRUE(wait_until([&] {
    accepted = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK);
    return accepted >= 0;
  }));
  char text[INET_ADDRSTRLEN] = {};
  if (accepted >= 0) inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
  cluster.stop(0);
  if (accepted >= 0) close(accepted);
  close(listener);
  return text;
}

TEST(Transport, OutgoingConnectionsLeaveFromTheConfiguredSourceHost) {
  EXPECT_EQ(dialled_from("127.0.0.7"), "127.0.0.7");
  EXPECT_EQ(dialled_from(""), "127.0.0.1");  // unset: the OS picks, loopback's own address
}

TEST(Transport, FourNodesExchangeFramesAllToAllAttributedToTheirSender) {
  constexpr uint32_t n = 4;
  constexpr int per_pair = 25;
  Cluster cluster(n);
  for (uint32_t i = 0; i < n; ++i) cluster.start(i);
  ASSERT_TRUE(wait_until([&] { return cluster.all_connected({0, 1, 2, 3}); }));
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(cluster.node(i).connected_peers(), n - 1);

  for (int seq = 0; seq < per_pair; ++seq) {
    for (uint32_t from = 0; from < n; ++from) {
      for (uint32_t to = 0; to < n; ++to) {
        if (from == to) continue;
        std::string body =
            std::to_string(from) + ">" + std::to_string(to) + "#" + std::to_string(seq);
        EXPECT_TRUE(cluster.node(from).send(to, text_frame(body)));
      }
    }
  }
  for (uint32_t from = 0; from < n; ++from) {
    EXPECT_TRUE(cluster.node(from).broadcast(text_frame("all from " + std::to_string(from))));
  }
  for (uint32_t to = 0; to < n; ++to) {
    ASSERT_TRUE(cluster.inbox(to).wait_for_count((n - 1) * (per_pair + 1))) << "node " << to;
    std::map<uint32_t, int> next_seq;
    for (const auto& [from, frame] : cluster.inbox(to).frames()) {
      std::string body = frame_text(frame);
      if (body.rfind("all from ", 0) == 0) {
        EXPECT_EQ(body, "all from " + std::to_string(from));
        continue;
      }
      // The claimed sender inside the frame must be the one its key proved.
      EXPECT_EQ(body, std::to_string(from) + ">" + std::to_string(to) + "#" +
                          std::to_string(next_seq[from]++));
    }
    EXPECT_EQ(cluster.node(to).counters().frames_received, (n - 1) * (per_pair + 1));
    EXPECT_EQ(cluster.node(to).counters().frames_dropped_unavailable, 0u);
  }
}

TEST(Transport, ARestartedPeerIsReconnectedAndReceivesAgain) {
  Cluster cluster(4);
  for (uint32_t i = 0; i < 4; ++i) cluster.start(i);
  ASSERT_TRUE(wait_until([&] { return cluster.all_connected({0, 1, 2, 3}); }));
  EXPECT_EQ(cluster.node(0).peer_links_up(3), 1u);

  cluster.stop(3);
  ASSERT_TRUE(wait_until([&] {
    return !cluster.node(0).peer_connected(3) && !cluster.node(1).peer_connected(3) &&
           !cluster.node(2).peer_connected(3);
  }));
  // While it is down, frames to it are dropped and counted, never queued for later.
  ASSERT_TRUE(cluster.node(0).send(3, text_frame("lost")));
  ASSERT_TRUE(
      wait_until([&] { return cluster.node(0).counters().frames_dropped_unavailable == 1; }))
      << "sent " << cluster.node(0).counters().frames_sent << ", dropped as unavailable "
      << cluster.node(0).counters().frames_dropped_unavailable;

  cluster.start(3);  // a new process on the same port with the same key
  ASSERT_TRUE(wait_until([&] { return cluster.all_connected({0, 1, 2, 3}); }));
  EXPECT_EQ(cluster.node(0).peer_links_up(3), 2u);  // a new link: the node gossips again
  EXPECT_EQ(cluster.node(0).peer_links_up(1), 1u);
  for (uint32_t from = 0; from < 3; ++from) {
    ASSERT_TRUE(cluster.node(from).send(3, text_frame("again from " + std::to_string(from))));
    ASSERT_TRUE(cluster.node(3).send(from, text_frame("back to " + std::to_string(from))));
  }
  for (uint32_t from = 0; from < 3; ++from) {
    EXPECT_TRUE(cluster.inbox(3).wait_for_text(from, "again from " + std::to_string(from)));
    EXPECT_TRUE(cluster.inbox(from).wait_for_text(3, "back to " + std::to_string(from)));
  }
}

TEST(Transport, AClientOutsideTheValidatorSetDeliversNothing) {
  Cluster cluster(4);
  cluster.start(0);
  cluster.start(1);
  ASSERT_TRUE(wait_until([&] { return cluster.all_connected({0, 1}); }));

  auto [outsider_public, outsider_secret] = outsider_keys();
  {
    RawSocket outsider(ZMQ_DEALER);
    outsider.curve_client(curve_of(0), outsider_public, outsider_secret);
    outsider.connect(cluster.endpoint_of(0));
    outsider.send(text_frame("let me in"));
    ASSERT_TRUE(wait_until([&] { return cluster.node(0).counters().connections_refused >= 1; }));
  }
  EXPECT_TRUE(cluster.logged("refused connection from 127.0.0.1: 400 CURVE key " +
                             hex_encode(outsider_public) + " is not a peer validator"))
      << cluster.log_text();
  // An impostor claiming validator 2's public key without its secret fails the handshake
  // before ZAP is even asked.
  const uint64_t failed_before = cluster.node(0).counters().handshakes_failed;
  const uint64_t refused_before = cluster.node(0).counters().connections_refused;
  RawSocket impostor(ZMQ_DEALER);
  impostor.curve_client(curve_of(0), curve_of(2), outsider_secret);
  impostor.connect(cluster.endpoint_of(0));
  impostor.send(text_frame("I am validator 2"));
  ASSERT_TRUE(
      wait_until([&] { return cluster.node(0).counters().handshakes_failed > failed_before; }));
  EXPECT_EQ(cluster.node(0).counters().connections_refused, refused_before);

  // A frame from a real validator, sent after both attempts failed, arrives alone.
  ASSERT_TRUE(cluster.node(1).send(0, text_frame("marker")));
  ASSERT_TRUE(cluster.inbox(0).wait_for_text(1, "marker"));
  auto frames = cluster.inbox(0).frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(cluster.node(0).counters().frames_received, 1u);
  EXPECT_EQ(cluster.node(0).counters().connections_admitted, 1u);
}

TEST(Transport, OversizedFramesAreDroppedAndTheNodeKeepsServing) {
  Cluster cluster(3);  // validator 2 is played by a raw client holding its key
  cluster.start(0);
  cluster.start(1);
  ASSERT_TRUE(wait_until([&] { return cluster.all_connected({0, 1}); }));
  auto key2 = CurveKeyPair::from_ed25519(validator_key(2));
  RawSocket insider(ZMQ_DEALER);
  insider.curve_client(curve_of(0), key2.public_key(), key2.secret_key());
  insider.connect(cluster.endpoint_of(0));

  insider.send(Bytes(kFrameBytesMax, 0xAB));      // exactly at the bound: delivered
  insider.send(Bytes(kFrameBytesMax + 1, 0xCD));  // one byte over: dropped by the transport
  insider.send(text_frame("after one over"));
  ASSERT_TRUE(cluster.inbox(0).wait_for_text(2, "after one over"));
  EXPECT_EQ(cluster.node(0).counters().frames_dropped_oversize, 1u);
  EXPECT_EQ(cluster.node(0).counters().connections_admitted, 2u);

  insider.send(Bytes(64 * kFrameBytesMax, 0xEF));  // far over: zmq drops the connection
  ASSERT_TRUE(wait_until([&] { return cluster.node(0).counters().connections_admitted >= 3; }))
      << "the raw client should have been disconnected and have reconnected";
  insider.send(text_frame("after reconnect"));
  ASSERT_TRUE(cluster.inbox(0).wait_for_text(2, "after reconnect"));
  ASSERT_TRUE(cluster.node(1).send(0, text_frame("still serving")));
  ASSERT_TRUE(cluster.inbox(0).wait_for_text(1, "still serving"));
  for (const auto& [from, frame] : cluster.inbox(0).frames()) {
    EXPECT_LE(frame.size(), kFrameBytesMax) << "from " << from;
  }
  EXPECT_EQ(cluster.inbox(0).frames().size(), 4u);

  EXPECT_FALSE(cluster.node(0).send(1, Bytes(kFrameBytesMax + 1, 0)));
  EXPECT_EQ(cluster.node(0).counters().frames_rejected_oversize, 1u);
}

TEST(Transport, GarbageOnTheTcpPortDoesNoHarm) {
  Cluster cluster(4);
  cluster.start(0);
  cluster.start(1);
  ASSERT_TRUE(wait_until([&] { return cluster.all_connected({0, 1}); }));

  Bytes junk(64 * 1024);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 131 + 7);
  write_raw_tcp(cluster.port(0), junk);
  // A well-formed ZMTP 3.0 greeting asking for the NULL mechanism, then junk.
  Bytes greeting = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0, 'N', 'U', 'L', 'L'};
  greeting.resize(64, 0);
  greeting.insert(greeting.end(), junk.begin(), junk.begin() + 4096);
  write_raw_tcp(cluster.port(0), greeting);
  // At least the NULL greeting fails the handshake visibly (a CURVE server refuses it).
  ASSERT_TRUE(wait_until([&] { return cluster.node(0).counters().handshakes_failed >= 1; }));

  ASSERT_TRUE(cluster.node(1).send(0, text_frame("after garbage")));
  ASSERT_TRUE(cluster.inbox(0).wait_for_text(1, "after garbage"));
  ASSERT_TRUE(cluster.node(0).send(1, text_frame("reply")));
  ASSERT_TRUE(cluster.inbox(1).wait_for_text(0, "reply"));
  EXPECT_EQ(cluster.inbox(0).frames().size(), 1u);
  EXPECT_EQ(cluster.node(0).counters().connections_admitted, 1u);
  EXPECT_TRUE(cluster.node(0).peer_connected(1));
}

TEST(Transport, SendsToDeadPeersNeverBlock) {
  Cluster cluster(4);  // only validator 0 runs; 1 is frozen, 2 and 3 are not listening
  const int frozen = frozen_listener(cluster.port(1));
  TransportConfig config = cluster.config(0);
  config.outbound_queue_frames_max = 512;
  cluster.start(0, std::move(config));
  constexpr int frames = 20000;
  const auto begin = Clock::now();
  uint64_t queued_destinations = 0;
  for (int i = 0; i < frames; ++i) {
    if (cluster.node(0).send(1 + i % 3, Bytes(1024, 1))) ++queued_destinations;
    if (i % 10 == 0 && cluster.node(0).broadcast(Bytes(1024, 2))) queued_destinations += 3;
  }
  EXPECT_LT(Clock::now() - begin, std::chrono::seconds(5));
  const uint64_t destinations = frames + 3 * (frames / 10);
  ASSERT_TRUE(wait_until([&] {
    auto c = cluster.node(0).counters();
    return c.frames_dropped_unavailable + c.frames_dropped_queue_full == destinations;
  }));
  auto counters = cluster.node(0).counters();
  EXPECT_EQ(counters.frames_sent, 0u);
  EXPECT_EQ(counters.frames_dropped_unavailable, queued_destinations);
  EXPECT_EQ(cluster.node(0).connected_peers(), 0u);
  const auto stop_begin = Clock::now();
  cluster.stop(0);
  EXPECT_LT(Clock::now() - stop_begin, std::chrono::seconds(2));
  close(frozen);
}

TEST(Transport, ASlowPeerFillsItsOwnLinkOnlyAndNeverBlocksTheSender) {
  Cluster cluster(3);  // validator 1 is a CURVE server that never reads
  auto key1 = CurveKeyPair::from_ed25519(validator_key(1));
  RawSocket stalled(ZMQ_ROUTER);
  stalled.set_int(ZMQ_CURVE_SERVER, 1);
  stalled.set_key(ZMQ_CURVE_SECRETKEY, key1.secret_key());
  stalled.set_int(ZMQ_RCVHWM, 1);
  stalled.bind(cluster.endpoint_of(1));
  TransportConfig config = cluster.config(0);
  config.send_hwm = 50;
  cluster.start(0, std::move(config));
  cluster.start(2);
  ASSERT_TRUE(wait_until([&] {
    return cluster.node(0).peer_connected(1) && cluster.all_connected({0, 2});
  }));

  // Rounds the I/O thread finishes before the next, so the queue never overflows and every
  // frame reaches the DEALER: once TCP buffers and send_hwm are full, zmq refuses them.
  const Bytes frame(kFrameBytesMax, 3);
  uint64_t attempted = 0;
  for (int round = 0; round < 100; ++round) {
    const auto begin = Clock::now();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(cluster.node(0).send(1, frame));
    EXPECT_LT(Clock::now() - begin, std::chrono::seconds(1));
    attempted += 100;
    ASSERT_TRUE(wait_until([&] {
      auto c = cluster.node(0).counters();
      return c.frames_sent + c.frames_dropped_unavailable == attempted;
    }));
    if (cluster.node(0).counters().frames_dropped_unavailable > 0) break;
  }
  EXPECT_GT(cluster.node(0).counters().frames_dropped_unavailable, 0u);
  EXPECT_EQ(cluster.node(0).counters().frames_dropped_queue_full, 0u);
  ASSERT_TRUE(cluster.node(0).send(2, text_frame("the healthy peer still hears us")));
  EXPECT_TRUE(cluster.inbox(2).wait_for_text(0, "the healthy peer still hears us"));
}

TEST(Transport, SendAfterStopIsRefusedAndCounted) {
  Cluster cluster(4);
  cluster.start(0);
  cluster.node(0).stop();
  cluster.node(0).stop();  // idempotent
  EXPECT_FALSE(cluster.node(0).send(1, text_frame("late")));
  EXPECT_FALSE(cluster.node(0).broadcast(text_frame("late")));
  EXPECT_EQ(cluster.node(0).counters().frames_dropped_unavailable, 4u);
}

}  // namespace
}  // namespace phalanx::node

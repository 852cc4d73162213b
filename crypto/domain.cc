// Domain tags and the signing-message layout (grammar in domain.h). Tags are versioned so a
// future change to a message body gets a new tag instead of a silent reinterpretation.
#include "crypto/domain.h"

namespace phalanx::crypto {

std::string_view domain_tag(Domain domain) {
  switch (domain) {
    case Domain::kTransaction:
      return "phalanx/tx/v1";
    case Domain::kPrePrepare:
      return "phalanx/pre-prepare/v1";
    case Domain::kPrepare:
      return "phalanx/prepare/v1";
    case Domain::kCommit:
      return "phalanx/commit/v1";
    case Domain::kCheckpoint:
      return "phalanx/checkpoint/v1";
    case Domain::kViewChange:
      return "phalanx/view-change/v1";
    case Domain::kNewView:
      return "phalanx/new-view/v1";
    case Domain::kStatus:
      return "phalanx/status/v1";
  }
  PHALANX_ASSERT_MSG(false, "unknown signing domain");
  return {};
}

static bool is_chain_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

Status validate_chain_id(std::string_view chain_id) {
  if (chain_id.empty()) return Status::error("chain id is empty");
  if (chain_id.size() > kChainIdBytesMax) {
    return Status::error("chain id is " + std::to_string(chain_id.size()) +
                         " bytes, the maximum is " + std::to_string(kChainIdBytesMax));
  }
  for (size_t i = 0; i < chain_id.size(); ++i) {
    if (!is_chain_id_char(chain_id[i])) {
      return Status::error("chain id has an invalid character at position " + std::to_string(i) +
                           " (allowed: a-z 0-9 . _ -)");
    }
  }
  return Status::ok();
}

Bytes signing_message(Domain domain, std::string_view chain_id, ByteSpan body) {
  PHALANX_ASSERT_MSG(validate_chain_id(chain_id).is_ok(), "signing with an invalid chain id");
  const std::string_view tag = domain_tag(domain);
  Writer writer;
  writer.short_string(tag);
  writer.short_string(chain_id);
  writer.bytes(body);
  return writer.take();
}

Signature sign_domain(const SecretKey& key, Domain domain, std::string_view chain_id,
                      ByteSpan body) {
  return key.sign(signing_message(domain, chain_id, body));
}

bool verify_domain(const PublicKey& key, Domain domain, std::string_view chain_id, ByteSpan body,
                   const Signature& signature) {
  // A peer-supplied chain id may be anything; an invalid one can never have been signed.
  if (!validate_chain_id(chain_id).is_ok()) return false;
  return verify(key, signing_message(domain, chain_id, body), signature);
}

}  // namespace phalanx::crypto

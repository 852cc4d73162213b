// docs/encoding.md quotes the test vectors verbatim; this fails when code and doc drift.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "encoding_fixtures.h"

namespace phalanx::ledger {
namespace {

using namespace testing::vectors;

TEST(EncodingDoc, QuotesEveryVector) {
  std::ifstream file(PHALANX_ENCODING_DOC);
  ASSERT_TRUE(file.good()) << "cannot open " << PHALANX_ENCODING_DOC;
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const std::string block =
      std::string(kHeader) + std::string(kTxLength) + std::string(kTransaction);
  for (std::string_view vector :
       {kSenderPublicKey, kSenderAddress, kRecipientAddress, kSigningMessage, kTransaction,
        kTransactionHash, kTxRoot, kHeader, kBlockHash, std::string_view(block), kMerkleRoot0,
        kMerkleRoot1, kMerkleRoot2, kMerkleRoot3, kMerkleRoot5}) {
    EXPECT_NE(doc.find(vector), std::string::npos) << "docs/encoding.md lacks " << vector;
  }
}

}  // namespace
}  // namespace phalanx::ledger

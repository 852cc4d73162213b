// Byte strings, hex, and the canonical big-endian Writer/Reader used by every hand-laid
// format (transactions, block headers, consensus votes). Reader is strict: it never reads
// past its input, bounds every length before a caller allocates, and finish() rejects
// trailing bytes.
// Thread-safety: value types; a Reader/Writer is used by one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace phalanx {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

std::string hex_encode(ByteSpan bytes);
// Lowercase or uppercase hex, even length. Errors name the offending position.
Result<Bytes> hex_decode(std::string_view hex);
// Decodes exactly N bytes of hex.
template <size_t N>
Result<std::array<uint8_t, N>> hex_decode_fixed(std::string_view hex) {
  if (hex.size() != 2 * N) {
    return Status::error("expected " + std::to_string(2 * N) + " hex characters, got " +
                         std::to_string(hex.size()));
  }
  auto bytes = hex_decode(hex);
  if (!bytes) return bytes.status();
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

inline ByteSpan as_span(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  template <size_t N>
  void fixed(const std::array<uint8_t, N>& a) {
    out_.insert(out_.end(), a.begin(), a.end());
  }
  // u8 length prefix; REQUIRES: s.size() <= 255.
  void short_string(std::string_view s);
  // u32 length prefix.
  void var_bytes(ByteSpan b);

  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}

  Status u8(uint8_t* v);
  Status u16(uint16_t* v);
  Status u32(uint32_t* v);
  Status u64(uint64_t* v);
  template <size_t N>
  Status fixed(std::array<uint8_t, N>* a) {
    PHALANX_RETURN_IF_ERROR(need(N));
    std::copy(in_.begin() + pos_, in_.begin() + pos_ + N, a->begin());
    pos_ += N;
    return Status::ok();
  }
  // A view of the next n bytes (no copy).
  Status span(size_t n, ByteSpan* out);
  // u8 length prefix, at most max_len bytes.
  Status short_string(size_t max_len, std::string* s);
  // u32 length prefix, at most max_len bytes; the bound is checked before allocating.
  Status var_bytes(size_t max_len, Bytes* b);
  // A count that precedes count elements of at least min_element_bytes each: rejected when
  // above max_count or when the remaining input cannot hold that many elements. Call this
  // before reserving memory for the elements.
  Status count(uint32_t raw, size_t max_count, size_t min_element_bytes) const;

  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  // Ok only when every byte was consumed.
  Status finish() const;

 private:
  Status need(size_t n) const;
  ByteSpan in_;
  size_t pos_ = 0;
};

}  // namespace phalanx

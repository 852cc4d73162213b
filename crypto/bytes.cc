#include "crypto/bytes.h"

#include <cstdio>
#include <cstdlib>

namespace phalanx {

void assert_fail(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "PHALANX_ASSERT failed: %s at %s:%d %s\n", expr, file, line, msg);
  std::fflush(stderr);
  std::abort();
}

std::string hex_encode(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Bytes> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return Status::error("hex string has odd length " + std::to_string(hex.size()));
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::error("invalid hex character at position " +
                           std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

void Writer::u16(uint16_t v) {
  u8(static_cast<uint8_t>(v >> 8));
  u8(static_cast<uint8_t>(v));
}
void Writer::u32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) u8(static_cast<uint8_t>(v >> shift));
}
void Writer::u64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) u8(static_cast<uint8_t>(v >> shift));
}
void Writer::short_string(std::string_view s) {
  PHALANX_ASSERT(s.size() <= 255);
  u8(static_cast<uint8_t>(s.size()));
  bytes(as_span(s));
}
void Writer::var_bytes(ByteSpan b) {
  PHALANX_ASSERT(b.size() <= UINT32_MAX);
  u32(static_cast<uint32_t>(b.size()));
  bytes(b);
}

Status Reader::need(size_t n) const {
  if (remaining() < n) {
    return Status::error("truncated input: need " + std::to_string(n) + " bytes at offset " +
                         std::to_string(pos_) + ", have " + std::to_string(remaining()));
  }
  return Status::ok();
}

Status Reader::u8(uint8_t* v) {
  PHALANX_RETURN_IF_ERROR(need(1));
  *v = in_[pos_++];
  return Status::ok();
}
Status Reader::u16(uint16_t* v) {
  PHALANX_RETURN_IF_ERROR(need(2));
  *v = static_cast<uint16_t>(in_[pos_] << 8 | in_[pos_ + 1]);
  pos_ += 2;
  return Status::ok();
}
Status Reader::u32(uint32_t* v) {
  PHALANX_RETURN_IF_ERROR(need(4));
  uint32_t x = 0;
  for (int i = 0; i < 4; ++i) x = x << 8 | in_[pos_ + i];
  pos_ += 4;
  *v = x;
  return Status::ok();
}
Status Reader::u64(uint64_t* v) {
  PHALANX_RETURN_IF_ERROR(need(8));
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = x << 8 | in_[pos_ + i];
  pos_ += 8;
  *v = x;
  return Status::ok();
}
Status Reader::span(size_t n, ByteSpan* out) {
  PHALANX_RETURN_IF_ERROR(need(n));
  *out = in_.subspan(pos_, n);
  pos_ += n;
  return Status::ok();
}
Status Reader::short_string(size_t max_len, std::string* s) {
  uint8_t len = 0;
  PHALANX_RETURN_IF_ERROR(u8(&len));
  if (len > max_len) {
    return Status::error("string of " + std::to_string(len) + " bytes exceeds the maximum " +
                         std::to_string(max_len));
  }
  ByteSpan view;
  PHALANX_RETURN_IF_ERROR(span(len, &view));
  s->assign(view.begin(), view.end());
  return Status::ok();
}
Status Reader::var_bytes(size_t max_len, Bytes* b) {
  uint32_t len = 0;
  PHALANX_RETURN_IF_ERROR(u32(&len));
  if (len > max_len) {
    return Status::error("field of " + std::to_string(len) + " bytes exceeds the maximum " +
                         std::to_string(max_len));
  }
  ByteSpan view;
  PHALANX_RETURN_IF_ERROR(span(len, &view));
  b->assign(view.begin(), view.end());
  return Status::ok();
}
Status Reader::count(uint32_t raw, size_t max_count, size_t min_element_bytes) const {
  if (raw > max_count) {
    return Status::error("count " + std::to_string(raw) + " exceeds the maximum " +
                         std::to_string(max_count));
  }
  if (min_element_bytes > 0 && raw > remaining() / min_element_bytes) {
    return Status::error("count " + std::to_string(raw) + " cannot fit in the remaining " +
                         std::to_string(remaining()) + " bytes");
  }
  return Status::ok();
}
Status Reader::finish() const {
  if (remaining() != 0) {
    return Status::error(std::to_string(remaining()) + " trailing bytes after offset " +
                         std::to_string(pos_));
  }
  return Status::ok();
}

}  // namespace phalanx

// cereal encoding for records that are not signed or hashed (stored values, unsigned
// message envelopes), with a bounded input archive for untrusted bytes.
//
// cereal's BinaryInputArchive resizes a container to whatever length the input claims, so a
// 16-byte input claiming 2^40 elements would allocate terabytes. BoundedInputArchive
// checks every size tag before the container is resized: a claimed count must be at most
// `elements_max` and at most the number of input bytes still unread (every element takes
// at least one byte). Reads past the end, trailing bytes and cereal exceptions all become
// a Status error.
// Thread-safety: value types and pure functions.
#pragma once

#include <cereal/archives/binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <sstream>

#include "crypto/bytes.h"

namespace phalanx {

class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  BoundedInputArchive(ByteSpan input, uint64_t elements_max)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        input_(input),
        elements_max_(elements_max) {}

  void loadBinary(void* const data, std::streamsize size) {
    if (size < 0 || static_cast<uint64_t>(size) > remaining()) {
      throw cereal::Exception("truncated input: need " + std::to_string(size) +
                              " bytes, have " + std::to_string(remaining()));
    }
    // An empty container passes a null pointer; memcpy must not see it (UB even for 0 bytes).
    if (size == 0) return;
    std::memcpy(data, input_.data() + position_, static_cast<size_t>(size));
    position_ += static_cast<size_t>(size);
  }

  // Called for every container length before the container is resized.
  void check_size(uint64_t size) const {
    if (size > elements_max_ || size > remaining()) {
      throw cereal::Exception("length " + std::to_string(size) + " exceeds its bound (max " +
                              std::to_string(elements_max_) + ", " +
                              std::to_string(remaining()) + " bytes left)");
    }
  }

  uint64_t remaining() const { return input_.size() - position_; }

 private:
  ByteSpan input_;
  size_t position_ = 0;
  uint64_t elements_max_;
};

template <class T>
inline typename std::enable_if<std::is_arithmetic<T>::value, void>::type CEREAL_LOAD_FUNCTION_NAME(
    BoundedInputArchive& ar, T& t) {
  ar.loadBinary(std::addressof(t), sizeof(t));
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
  ar.check_size(static_cast<uint64_t>(t.size));
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<std::streamsize>(bd.size));
}

template <class T>
Bytes cereal_encode(const T& value) {
  std::ostringstream stream(std::ios::binary);
  {
    cereal::BinaryOutputArchive archive(stream);
    archive(value);
  }
  const std::string s = stream.str();
  return Bytes(s.begin(), s.end());
}

// Decodes `input` into *out; every container length is bounded by elements_max and by the
// input's own size; all input must be consumed.
template <class T>
Status cereal_decode(ByteSpan input, uint64_t elements_max, T* out) {
  try {
    BoundedInputArchive archive(input, elements_max);
    archive(*out);
    if (archive.remaining() != 0) {
      return Status::error(std::to_string(archive.remaining()) + " trailing bytes");
    }
  } catch (const cereal::Exception& e) {
    return Status::error(std::string("malformed record: ") + e.what());
  }
  return Status::ok();
}

}  // namespace phalanx

CEREAL_REGISTER_ARCHIVE(phalanx::BoundedInputArchive)

#include "node/record_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crypto/file_io.h"
#include "crypto/hash.h"

namespace phalanx::node {

namespace {

constexpr size_t kChecksumBytes = 8;
constexpr size_t kZeroWriteBytes = size_t{1} << 20;

std::array<uint8_t, kChecksumBytes> frame_checksum(uint32_t length, ByteSpan payload) {
  Writer prefix;
  prefix.u32(length);
  crypto::Hasher hasher;
  const crypto::Hash hash = hasher.update(prefix.data()).update(payload).finish();
  std::array<uint8_t, kChecksumBytes> checksum{};
  std::copy_n(hash.begin(), kChecksumBytes, checksum.begin());
  return checksum;
}

Status pwrite_all(int fd, const uint8_t* data, size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::error("pwrite: " + (n < 0 ? errno_text() : "wrote nothing"));
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

// REQUIRES: [offset, offset + size) lies inside the file.
Status pread_exact(int fd, uint8_t* data, size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::error("pread: " + (n < 0 ? errno_text() : "unexpected end"));
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

uint32_t big_endian_u32(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

enum class FrameState { kWhole, kEnd, kBad };

struct Frame {
  FrameState state = FrameState::kEnd;
  uint32_t length = 0;  // kBad: 0 when the length itself is out of bounds
  Bytes payload;
};

// Reads the frame at `offset` of a file of `file_bytes`, allocating only a length that the
// file can hold.
Result<Frame> read_frame(int fd, uint64_t file_bytes, uint64_t offset) {
  Frame frame;
  if (offset > file_bytes || file_bytes - offset < record_log_header_bytes) return frame;
  const uint64_t left = file_bytes - offset - record_log_header_bytes;
  std::array<uint8_t, record_log_header_bytes> header{};
  PHALANX_RETURN_IF_ERROR(pread_exact(fd, header.data(), header.size(), offset));
  const uint32_t length = big_endian_u32(header.data());
  if (length == 0) return frame;
  frame.state = FrameState::kBad;
  if (length > record_log_frame_bytes_max || length > left) return frame;
  frame.length = length;
  frame.payload.resize(length);
  PHALANX_RETURN_IF_ERROR(
      pread_exact(fd, frame.payload.data(), length, offset + record_log_header_bytes));
  const auto checksum = frame_checksum(length, frame.payload);
  if (std::equal(checksum.begin(), checksum.end(), header.begin() + 4)) {
    frame.state = FrameState::kWhole;
  }
  return frame;
}

}  // namespace

Result<std::unique_ptr<RecordLog>> RecordLog::open(const std::string& path,
                                                   const RecordLogOptions& options,
                                                   const Visit& visit) {
  PHALANX_ASSERT(options.preallocate_bytes > 0);
  std::error_code ignored;
  const bool existed = std::filesystem::exists(path, ignored);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cannot open " + path + ": " + errno_text());
  std::unique_ptr<RecordLog> log(new RecordLog(path, fd, options));
  if (!existed) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    PHALANX_RETURN_IF_ERROR(sync_directory(parent.empty() ? "." : parent.string()));
  }
  PHALANX_RETURN_IF_ERROR(log->read(visit));
  return log;
}

Status RecordLog::read(const Visit& visit) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Status::error("cannot stat " + path_ + ": " + errno_text());
  file_bytes_ = static_cast<uint64_t>(st.st_size);
  uint64_t offset = 0;
  while (true) {
    auto frame = read_frame(fd_, file_bytes_, offset);
    if (!frame) return Status::error("cannot read " + path_ + ": " + frame.message());
    if (frame->state == FrameState::kEnd) break;
    if (frame->state == FrameState::kBad) {
      // A torn tail unless the frame after it is whole: then this is damage, not a crash.
      if (frame->length == 0) break;
      const uint64_t next = offset + record_log_header_bytes + frame->length;
      auto after = read_frame(fd_, file_bytes_, next);
      if (!after) return Status::error("cannot read " + path_ + ": " + after.message());
      if (after->state != FrameState::kWhole) break;
      return Status::error(path_ + " is corrupt: the frame at offset " + std::to_string(offset) +
                           " fails its checksum but the frame after it (offset " +
                           std::to_string(next) + ") is whole");
    }
    const Status visited = visit(frame->payload, offset);
    if (!visited) {
      return Status::error(path_ + ": the frame at offset " + std::to_string(offset) + ": " +
                           visited.message());
    }
    offset += record_log_header_bytes + frame->length;
  }
  end_bytes_ = offset;
  return Status::ok();
}

Result<std::unique_ptr<RecordLog>> RecordLog::create(const std::string& path,
                                                     std::span<const Bytes> payloads,
                                                     const RecordLogOptions& options) {
  PHALANX_ASSERT(options.preallocate_bytes > 0);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cannot create " + path + ": " + errno_text());
  std::unique_ptr<RecordLog> log(new RecordLog(path, fd, options));
  uint64_t total = 0;
  for (const Bytes& payload : payloads) total += record_log_header_bytes + payload.size();
  // One sync below covers the zeros and the frames: until the rename the file is nobody's.
  PHALANX_RETURN_IF_ERROR(log->reserve(total + 1, /*sync=*/false));
  for (const Bytes& payload : payloads) PHALANX_RETURN_IF_ERROR(log->write_frame(payload));
  if (::fdatasync(fd) != 0) return Status::error("fdatasync " + path + ": " + errno_text());
  return log;
}

RecordLog::~RecordLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status RecordLog::append(ByteSpan payload) {
  PHALANX_ASSERT(!payload.empty() && payload.size() <= record_log_frame_bytes_max);
  if (failed_) {
    return Status::error(path_ + ": an earlier write failed, the file's state is unknown");
  }
  failed_ = true;  // until this append is durable
  PHALANX_RETURN_IF_ERROR(
      reserve(end_bytes_ + record_log_header_bytes + payload.size(), /*sync=*/true));
  PHALANX_RETURN_IF_ERROR(write_frame(payload));
  if (::fdatasync(fd_) != 0) return Status::error("fdatasync " + path_ + ": " + errno_text());
  failed_ = false;
  return Status::ok();
}

Status RecordLog::reserve(uint64_t bytes, bool sync) {
  if (bytes <= file_bytes_) return Status::ok();
  const uint64_t chunk = options_.preallocate_bytes;
  const uint64_t target = (bytes + chunk - 1) / chunk * chunk;
  const Bytes zeros(static_cast<size_t>(std::min<uint64_t>(chunk, kZeroWriteBytes)), 0);
  for (uint64_t offset = file_bytes_; offset < target;) {
    const size_t size = static_cast<size_t>(std::min<uint64_t>(zeros.size(), target - offset));
    const Status written = pwrite_all(fd_, zeros.data(), size, offset);
    if (!written) return Status::error(path_ + ": " + written.message());
    offset += size;
  }
  if (sync && ::fdatasync(fd_) != 0) {
    return Status::error("fdatasync " + path_ + ": " + errno_text());
  }
  file_bytes_ = target;
  return Status::ok();
}

Status RecordLog::write_frame(ByteSpan payload) {
  Writer frame;
  const uint32_t length = static_cast<uint32_t>(payload.size());
  frame.u32(length);
  frame.fixed(frame_checksum(length, payload));
  frame.bytes(payload);
  const Status written = pwrite_all(fd_, frame.data().data(), frame.data().size(), end_bytes_);
  if (!written) return Status::error(path_ + ": " + written.message());
  end_bytes_ += frame.data().size();
  return Status::ok();
}

}  // namespace phalanx::node

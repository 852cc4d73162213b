// node::RecordLog: one append-only file of checksummed frames, each made durable by a single
// fdatasync. It owns the file descriptor, the write offset and the zeroed space preallocated
// ahead of it; what a frame's payload means is the caller's (node/consensus_store.h).
//
// Format (integers big-endian):
//
//   log      := frame* end
//   frame    := length:u32 checksum:8 payload      1 <= length <= record_log_frame_bytes_max
//   checksum := SHA-256(length:u32 || payload)[0..8)
//   end      := a zero length field, fewer than 12 bytes before the end of the file, or a torn
//               frame (below)
//
// Preallocation: the file is kept longer than the frames it holds by writing real zeros
// (options.preallocate_bytes at a time, synced once when the file grows). fallocate() would
// leave unwritten extents, and converting them is an ext4 journal commit on every
// fdatasync; over written zeros an append's fdatasync flushes only its data blocks.
//
// Crash behaviour: an append is one pwrite at the end offset and then one fdatasync, so a
// crash can only leave the last frame partly written (its unwritten bytes are zeros or an
// older torn frame's bytes). Opening reads the frames in order and stops at the first one
// that is not whole: a length above record_log_frame_bytes_max or above the bytes left in
// the file, or a checksum mismatch. That frame is the torn tail: the logical end is set
// before it and later appends overwrite it. But if the frame its length points to is a valid
// one, the bad frame is damage in the middle of the log and open() fails naming the file and
// the offset. Nothing is allocated beyond what the file holds. (A damaged length field is
// not told apart from a torn one: the log reads as ending at that frame.)
//
// Failures: after a failed pwrite or fdatasync the file's state is unknown (Linux may drop
// the dirty pages and report the error once), so every later append is refused.
// Thread-safety: none; one thread owns a RecordLog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace phalanx::node {

inline constexpr size_t record_log_header_bytes = 12;
inline constexpr size_t record_log_frame_bytes_max = size_t{1} << 30;  // payload bytes

struct RecordLogOptions {
  uint64_t preallocate_bytes = uint64_t{16} << 20;  // the file grows by multiples of this
};

class RecordLog {
 public:
  // Called with each whole frame's payload and the frame's offset, in file order; an error
  // stops the open and is reported with the file and the offset.
  using Visit = std::function<Status(ByteSpan payload, uint64_t offset)>;

  // Opens (creating, and syncing the directory when it does) the log at `path` and reads it.
  static Result<std::unique_ptr<RecordLog>> open(const std::string& path,
                                                 const RecordLogOptions& options,
                                                 const Visit& visit);
  // Writes a new log at `path` (replacing any file there) holding `payloads`, one frame
  // each, zero-padded like any log, with one fdatasync at the end. The caller renames it into
  // place (then calls renamed()) and syncs the directory.
  static Result<std::unique_ptr<RecordLog>> create(const std::string& path,
                                                   std::span<const Bytes> payloads,
                                                   const RecordLogOptions& options);

  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;
  ~RecordLog();

  // Appends one frame and returns once it is on disk.
  // REQUIRES: 1 <= payload.size() <= record_log_frame_bytes_max.
  Status append(ByteSpan payload);

  // Bytes of whole frames: the offset of the next append.
  uint64_t end_bytes() const { return end_bytes_; }
  const std::string& path() const { return path_; }
  void renamed(std::string path) { path_ = std::move(path); }

 private:
  RecordLog(std::string path, int fd, RecordLogOptions options)
      : path_(std::move(path)), fd_(fd), options_(options) {}
  Status read(const Visit& visit);
  // Grows the file with zeros to hold `bytes` of frames (a multiple of preallocate_bytes),
  // synced when `sync`.
  Status reserve(uint64_t bytes, bool sync);
  Status write_frame(ByteSpan payload);

  std::string path_;
  int fd_ = -1;
  RecordLogOptions options_;
  uint64_t end_bytes_ = 0;
  uint64_t file_bytes_ = 0;
  bool failed_ = false;
};

}  // namespace phalanx::node

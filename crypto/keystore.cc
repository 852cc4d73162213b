// Encrypted key files (format in keystore.h).
//
// Associated data: the XChaCha20-Poly1305 tag covers every header field, i.e. the key file
// JSON without "cipher.ciphertext", serialised by nlohmann::json::dump() (object keys
// sorted, no whitespace). Editing any field, even one that is not needed to decrypt (name,
// address, public_key), therefore fails the tag.
//
// Writes are atomic and never clobber: the file is written to a temporary name in DIR with
// mode 0600, fsynced, then moved into place with renameat2(RENAME_NOREPLACE), so two
// concurrent `new NAME` calls cannot overwrite each other and a crash leaves either no key
// or a complete one. The directory is fsynced afterwards so the new name is durable.
#include "crypto/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "crypto/file_io.h"

namespace phalanx::crypto {
namespace {

using nlohmann::json;

constexpr size_t kKeyFileBytesMax = 4096;
constexpr size_t kKeyNameCharsMax = 64;
constexpr size_t kKeystoreKeysMax = 10000;
// A key file chooses its own KDF cost; cap it so a planted file cannot demand gigabytes.
constexpr uint64_t kKdfOpslimitMax = crypto_pwhash_OPSLIMIT_SENSITIVE;
constexpr uint64_t kKdfMemlimitMax = crypto_pwhash_MEMLIMIT_SENSITIVE;
constexpr std::string_view kKdfAlgorithm = "argon2id13";
constexpr std::string_view kCipherAlgorithm = "xchacha20poly1305-ietf";
constexpr size_t kCiphertextBytes = sizeof(Seed) + crypto_aead_xchacha20poly1305_ietf_ABYTES;

struct KeyFile {
  std::string name;
  Address address;
  PublicKey public_key{};
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
  std::array<uint8_t, crypto_pwhash_SALTBYTES> salt{};
  std::array<uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> nonce{};
  Bytes ciphertext;
};

KeyFile new_key_file(const std::string& name, const PublicKey& key, const KeystoreParams& params) {
  PHALANX_ASSERT(params.opslimit >= crypto_pwhash_OPSLIMIT_MIN &&
                 params.opslimit <= kKdfOpslimitMax);
  PHALANX_ASSERT(params.memlimit >= crypto_pwhash_MEMLIMIT_MIN &&
                 params.memlimit <= kKdfMemlimitMax);
  KeyFile file;
  file.name = name;
  file.address = address_of(key);
  file.public_key = key;
  file.opslimit = params.opslimit;
  file.memlimit = params.memlimit;
  randombytes_buf(file.salt.data(), file.salt.size());
  randombytes_buf(file.nonce.data(), file.nonce.size());
  return file;
}

// Every field except the ciphertext: the associated data, and the start of the file.
json key_file_header(const KeyFile& file) {
  return json{{"version", 1},
              {"name", file.name},
              {"address", format_address(file.address)},
              {"public_key", hex_encode(file.public_key)},
              {"kdf",
               {{"algorithm", kKdfAlgorithm},
                {"opslimit", file.opslimit},
                {"memlimit", file.memlimit},
                {"salt", hex_encode(file.salt)}}},
              {"cipher", {{"algorithm", kCipherAlgorithm}, {"nonce", hex_encode(file.nonce)}}}};
}

std::string key_file_aad(const KeyFile& file) { return key_file_header(file).dump(); }

std::string key_file_json(const KeyFile& file) {
  json document = key_file_header(file);
  document["cipher"]["ciphertext"] = hex_encode(file.ciphertext);
  return document.dump(2) + "\n";
}

// Builds "'name'" by appending: GCC 12 at -O3 raises a false -Wrestrict (bug 105329) on
// "'" + std::string(...).
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '\'').append(text).append(1, '\'');
  return out;
}

Status expect_fields(const json& object, std::initializer_list<std::string_view> fields,
                     std::string_view where) {
  if (!object.is_object()) return Status::error(std::string(where) + " is not a JSON object");
  for (std::string_view field : fields) {
    if (!object.contains(field)) {
      return Status::error("missing field " + quoted(field) + " in " + std::string(where));
    }
  }
  for (const auto& item : object.items()) {
    if (std::find(fields.begin(), fields.end(), item.key()) == fields.end()) {
      return Status::error("unknown field '" + item.key() + "' in " + std::string(where));
    }
  }
  return Status::ok();
}

Result<std::string> string_field(const json& object, const char* field) {
  const json& value = object.at(field);
  if (!value.is_string()) return Status::error(quoted(field) + " is not a string");
  return value.get<std::string>();
}

Result<uint64_t> uint_field(const json& object, const char* field, uint64_t min, uint64_t max) {
  const json& value = object.at(field);
  if (!value.is_number_unsigned() || value.get<uint64_t>() < min || value.get<uint64_t>() > max) {
    return Status::error(quoted(field) + " must be an integer from " + std::to_string(min) +
                         " to " + std::to_string(max));
  }
  return value.get<uint64_t>();
}

template <size_t N>
Status hex_field(const json& object, const char* field, std::array<uint8_t, N>* out) {
  auto text = string_field(object, field);
  if (!text) return text.status();
  auto bytes = hex_decode_fixed<N>(*text);
  if (!bytes) return Status::error(quoted(field) + ": " + bytes.message());
  *out = *bytes;
  return Status::ok();
}

Status parse_identity(const json& document, const std::string& expected_name, KeyFile* file) {
  auto version = uint_field(document, "version", 0, UINT32_MAX);
  if (!version) return version.status();
  if (*version != 1) return Status::error("unsupported version " + std::to_string(*version));
  auto name = string_field(document, "name");
  if (!name) return name.status();
  if (*name != expected_name) return Status::error("it holds the key named '" + *name + "'");
  file->name = *name;
  auto address_text = string_field(document, "address");
  if (!address_text) return address_text.status();
  auto address = parse_address(*address_text);
  if (!address) return address.status();
  file->address = *address;
  PHALANX_RETURN_IF_ERROR(hex_field(document, "public_key", &file->public_key));
  if (address_of(file->public_key) != file->address) {
    return Status::error("its address does not belong to its public key");
  }
  return Status::ok();
}

Status parse_kdf(const json& kdf, KeyFile* file) {
  PHALANX_RETURN_IF_ERROR(expect_fields(kdf, {"algorithm", "opslimit", "memlimit", "salt"}, "kdf"));
  auto algorithm = string_field(kdf, "algorithm");
  if (!algorithm) return algorithm.status();
  if (*algorithm != kKdfAlgorithm) return Status::error("unsupported kdf '" + *algorithm + "'");
  auto opslimit = uint_field(kdf, "opslimit", crypto_pwhash_OPSLIMIT_MIN, kKdfOpslimitMax);
  if (!opslimit) return opslimit.status();
  auto memlimit = uint_field(kdf, "memlimit", crypto_pwhash_MEMLIMIT_MIN, kKdfMemlimitMax);
  if (!memlimit) return memlimit.status();
  file->opslimit = *opslimit;
  file->memlimit = *memlimit;
  return hex_field(kdf, "salt", &file->salt);
}

Status parse_cipher(const json& cipher, KeyFile* file) {
  PHALANX_RETURN_IF_ERROR(expect_fields(cipher, {"algorithm", "nonce", "ciphertext"}, "cipher"));
  auto algorithm = string_field(cipher, "algorithm");
  if (!algorithm) return algorithm.status();
  if (*algorithm != kCipherAlgorithm) {
    return Status::error("unsupported cipher '" + *algorithm + "'");
  }
  PHALANX_RETURN_IF_ERROR(hex_field(cipher, "nonce", &file->nonce));
  std::array<uint8_t, kCiphertextBytes> ciphertext{};
  PHALANX_RETURN_IF_ERROR(hex_field(cipher, "ciphertext", &ciphertext));
  file->ciphertext.assign(ciphertext.begin(), ciphertext.end());
  return Status::ok();
}

Result<KeyFile> parse_key_file(const std::string& text, const std::string& expected_name) {
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Status::error("not valid JSON");
  PHALANX_RETURN_IF_ERROR(expect_fields(
      document, {"version", "name", "address", "public_key", "kdf", "cipher"}, "key file"));
  KeyFile file;
  PHALANX_RETURN_IF_ERROR(parse_identity(document, expected_name, &file));
  PHALANX_RETURN_IF_ERROR(parse_kdf(document.at("kdf"), &file));
  PHALANX_RETURN_IF_ERROR(parse_cipher(document.at("cipher"), &file));
  return file;
}

std::string errno_text() { return std::strerror(errno); }

std::string key_path(const std::string& dir, const std::string& name) {
  return dir + "/" + name + ".key";
}

Result<std::string> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::error("no key file " + path);
    return Status::error("cannot open key file " + path + ": " + errno_text());
  }
  std::string text;
  char buffer[1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string message = "cannot read key file " + path + ": " + errno_text();
      ::close(fd);
      return Status::error(message);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kKeyFileBytesMax) {
      ::close(fd);
      return Status::error("key file " + path + " is corrupted: larger than " +
                           std::to_string(kKeyFileBytesMax) + " bytes");
    }
  }
  ::close(fd);
  return text;
}

// Creates each missing component of `dir` with mode 0700.
Status ensure_directory(const std::string& dir) {
  if (dir.empty()) return Status::error("keystore directory is empty");
  std::filesystem::path prefix;
  for (const auto& part : std::filesystem::path(dir)) {
    prefix /= part;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return Status::error(prefix.string() + " is not a directory");
      continue;
    }
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::error("cannot create directory " + prefix.string() + ": " + errno_text());
    }
    ::chmod(prefix.c_str(), 0700);  // mkdir's mode is masked by the umask
  }
  return Status::ok();
}

Status write_new_file(const std::string& dir, const std::string& name, const std::string& content) {
  std::array<uint8_t, 8> random{};
  randombytes_buf(random.data(), random.size());
  const std::string temp = dir + "/." + name + ".key.tmp-" + hex_encode(random);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cannot create " + temp + ": " + errno_text());
  Status written = ::fchmod(fd, 0600) == 0 ? write_all_and_sync(fd, content)
                                           : Status::error("chmod: " + errno_text());
  if (::close(fd) != 0 && written.is_ok()) written = Status::error("close: " + errno_text());
  if (!written.is_ok()) {
    ::unlink(temp.c_str());
    return Status::error("cannot write " + temp + ": " + written.message());
  }
  const std::string path = key_path(dir, name);
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    if (saved == EEXIST) return Status::error("a key named '" + name + "' already exists");
    return Status::error("cannot move " + temp + " to " + path + ": " + std::strerror(saved));
  }
  return sync_directory(dir);
}

using DerivedKey = std::array<uint8_t, crypto_aead_xchacha20poly1305_ietf_KEYBYTES>;

Status derive_key(const std::string& password, const KeyFile& file, DerivedKey* key) {
  if (crypto_pwhash(key->data(), key->size(), password.data(), password.size(), file.salt.data(),
                    file.opslimit, file.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::error("key derivation failed (Argon2id needs " +
                         std::to_string(file.memlimit >> 20) + " MiB of memory)");
  }
  return Status::ok();
}

Result<KeyFile> load(const std::string& dir, const std::string& name) {
  PHALANX_RETURN_IF_ERROR(validate_key_name(name));
  const std::string path = key_path(dir, name);
  auto text = read_key_file(path);
  if (!text) return text.status();
  auto file = parse_key_file(*text, name);
  if (!file) return Status::error("key file " + path + " is corrupted: " + file.message());
  return file;
}

// Names of DIR/*.key files with valid key names, sorted; temporary files start with '.'.
Result<std::vector<std::string>> list_key_names(const std::string& dir) {
  std::error_code error;
  std::vector<std::string> names;
  std::filesystem::directory_iterator it(dir, error);
  for (; !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    const std::filesystem::path& path = it->path();
    std::error_code entry_error;  // e.g. a dangling symlink: skip it, keep listing
    if (path.extension() != ".key" || !it->is_regular_file(entry_error)) continue;
    if (!validate_key_name(path.stem().string()).is_ok()) continue;
    if (names.size() == kKeystoreKeysMax) {
      return Status::error("keystore " + dir + " holds more than " +
                           std::to_string(kKeystoreKeysMax) + " keys");
    }
    names.push_back(path.stem().string());
  }
  if (error) return Status::error("cannot list keystore " + dir + ": " + error.message());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

KeystoreParams KeystoreParams::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

KeystoreParams KeystoreParams::minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Status validate_key_name(const std::string& name) {
  if (name.empty()) return Status::error("key name is empty");
  if (name.size() > kKeyNameCharsMax) {
    return Status::error("key name is " + std::to_string(name.size()) +
                         " characters, the maximum is " + std::to_string(kKeyNameCharsMax));
  }
  if (name[0] == '.') return Status::error("key name must not start with '.'");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return Status::error("key name '" + name + "' may only use A-Z a-z 0-9 . _ -");
  }
  return Status::ok();
}

Status keystore_create(const std::string& dir, const std::string& name, const Seed& seed,
                       const std::string& password, const KeystoreParams& params) {
  PHALANX_RETURN_IF_ERROR(validate_key_name(name));
  if (password.empty()) return Status::error("password is empty");
  PHALANX_RETURN_IF_ERROR(ensure_directory(dir));
  if (std::filesystem::exists(key_path(dir, name))) {
    return Status::error("a key named '" + name + "' already exists");  // before the slow KDF
  }
  const SecretKey key = SecretKey::from_seed(seed);
  KeyFile file = new_key_file(name, key.public_key(), params);
  DerivedKey derived{};
  PHALANX_RETURN_IF_ERROR(derive_key(password, file, &derived));
  const std::string aad = key_file_aad(file);
  file.ciphertext.resize(seed.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      file.ciphertext.data(), nullptr, seed.data(), seed.size(),
      reinterpret_cast<const uint8_t*>(aad.data()), aad.size(), nullptr, file.nonce.data(),
      derived.data());
  secure_wipe(derived.data(), derived.size());
  return write_new_file(dir, name, key_file_json(file));
}

Result<SecretKey> keystore_unlock(const std::string& dir, const std::string& name,
                                  const std::string& password) {
  auto file = load(dir, name);
  if (!file) return file.status();
  DerivedKey derived{};
  PHALANX_RETURN_IF_ERROR(derive_key(password, *file, &derived));
  const std::string aad = key_file_aad(*file);
  Seed seed{};
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      seed.data(), nullptr, nullptr, file->ciphertext.data(), file->ciphertext.size(),
      reinterpret_cast<const uint8_t*>(aad.data()), aad.size(), file->nonce.data(), derived.data());
  secure_wipe(derived.data(), derived.size());
  if (rc != 0) {
    return Status::error("wrong password or corrupted key file " + key_path(dir, name));
  }
  SecretKey key = SecretKey::from_seed(seed);
  secure_wipe(seed.data(), seed.size());
  if (key.public_key() != file->public_key) {
    return Status::error("key file " + key_path(dir, name) +
                         " is corrupted: its seed does not match its public key");
  }
  return key;
}

Result<KeyInfo> keystore_info(const std::string& dir, const std::string& name) {
  auto file = load(dir, name);
  if (!file) return file.status();
  return KeyInfo{file->name, file->address, file->public_key};
}

Result<std::vector<KeyInfo>> keystore_list(const std::string& dir) {
  std::error_code error;
  const bool exists = std::filesystem::exists(dir, error);
  if (error) return Status::error("cannot open keystore " + dir + ": " + error.message());
  if (!exists) return std::vector<KeyInfo>{};  // nothing created yet
  auto names = list_key_names(dir);
  if (!names) return names.status();
  std::vector<KeyInfo> keys;
  for (const std::string& name : *names) {
    auto info = keystore_info(dir, name);
    if (!info) return info.status();
    keys.push_back(std::move(*info));
  }
  return keys;
}

}  // namespace phalanx::crypto

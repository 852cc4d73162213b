#include "ledger/strict_json.h"

#include <set>
#include <string>
#include <vector>

namespace phalanx::ledger {
namespace {

using nlohmann::json;
// nlohmann's own DOM builder (an internal class; 3.12 adds a template parameter).
static_assert(NLOHMANN_JSON_VERSION_MAJOR == 3 && NLOHMANN_JSON_VERSION_MINOR == 11,
              "check json_sax_dom_parser's signature for this nlohmann version");
using DomBuilder = nlohmann::detail::json_sax_dom_parser<json>;

// nlohmann's DOM builder with the strict checks on the way: nesting depth and duplicate keys.
// (Not json::parse with a callback: its callback parser scans the whole enclosing array at
// the end of every object, quadratic in the array's length -- 4 s for a genesis of 100,000
// allocations, nlohmann 3.11.2.)
class StrictSax final : public nlohmann::json_sax<json> {
 public:
  StrictSax(json* result, size_t depth_max) : dom_(*result), depth_max_(depth_max) {}

  const std::string& error() const { return error_; }

  bool null() override { return dom_.null(); }
  bool boolean(bool value) override { return dom_.boolean(value); }
  bool number_integer(number_integer_t value) override { return dom_.number_integer(value); }
  bool number_unsigned(number_unsigned_t value) override { return dom_.number_unsigned(value); }
  bool number_float(number_float_t value, const string_t& text) override {
    return dom_.number_float(value, text);
  }
  bool string(string_t& value) override { return dom_.string(value); }
  bool binary(binary_t& value) override { return dom_.binary(value); }
  bool start_object(std::size_t size) override { return open() && dom_.start_object(size); }
  bool key(string_t& value) override {
    if (!keys_.back().insert(value).second) return fail("duplicate key '" + value + "'");
    return dom_.key(value);
  }
  bool end_object() override {
    keys_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t size) override { return open() && dom_.start_array(size); }
  bool end_array() override {
    keys_.pop_back();
    return dom_.end_array();
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& error) override {
    return fail(std::string("not valid JSON: ") + error.what());
  }

 private:
  bool open() {  // an object or array (whose set of keys stays empty)
    if (keys_.size() == depth_max_) return fail("nested too deeply");
    keys_.emplace_back();
    return true;
  }
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  DomBuilder dom_;
  size_t depth_max_;
  std::vector<std::set<std::string>> keys_;  // keys seen, per open object or array
  std::string error_;
};

}  // namespace

Result<nlohmann::json> parse_strict_json(std::string_view text, size_t depth_max) {
  json result;
  StrictSax sax(&result, depth_max);
  bool ok = false;
  try {
    ok = json::sax_parse(text, &sax);
  } catch (const json::exception& error) {
    return Status::error(std::string("not valid JSON: ") + error.what());
  }
  if (!ok) return Status::error(sax.error().empty() ? "not valid JSON" : sax.error());
  return result;
}

}  // namespace phalanx::ledger

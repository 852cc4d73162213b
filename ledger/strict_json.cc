#include "ledger/strict_json.h"

#include <set>
#include <string>
#include <vector>

namespace phalanx::ledger {
namespace {

struct StrictJsonError {
  std::string message;
};

}  // namespace

Result<nlohmann::json> parse_strict_json(std::string_view text, size_t depth_max) {
  using nlohmann::json;
  std::vector<std::set<std::string>> open;  // keys seen, per open object or array
  auto callback = [&open, depth_max](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      if (open.size() == depth_max) throw StrictJsonError{"nested too deeply"};
      open.emplace_back();
    } else if (event == json::parse_event_t::object_end ||
               event == json::parse_event_t::array_end) {
      open.pop_back();
    } else if (event == json::parse_event_t::key) {
      if (!open.back().insert(parsed.get<std::string>()).second) {
        throw StrictJsonError{"duplicate key '" + parsed.get<std::string>() + "'"};
      }
    }
    return true;
  };
  try {
    return json::parse(text, callback);
  } catch (const StrictJsonError& error) {
    return Status::error(error.message);
  } catch (const json::exception& error) {
    return Status::error(std::string("not valid JSON: ") + error.what());
  }
}

}  // namespace phalanx::ledger

#include "actors/core/code_files.hpp"

#include "actors/core/text_diff.hpp"

#include <algorithm>
#include <cctype>

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

/// Why `path` cannot name a file of a hosted bot, or "". Paths are written under the version's
/// directory as given, so none may climb out of it or shadow what `npm ci` installs.
std::string path_problem(const std::string& path) {
  if (path.empty() || path.size() > max_code_path)
    return "a path of 1 to " + std::to_string(max_code_path) + " bytes";
  std::size_t start = 0;
  while (true) {
    auto end = path.find('/', start);
    auto segment = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (segment.empty() || segment == "." || segment == "..")
      return "a relative path without empty, '.' or '..' segments";
    if (!std::all_of(segment.begin(), segment.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
        }))
      return "a path of letters, digits and . _ - @ + between slashes";
    if (start == 0 && segment == "node_modules")
      return "not under node_modules: npm ci installs it from package-lock.json";
    if (end == std::string::npos) return {};
    start = end + 1;
  }
}

/// package.json's "main" as a path among the files ("./" dropped), or "" when it has none.
std::string main_of(const json& package) {
  const auto& main = member_of(package, "main");
  if (!main.is_string()) return {};
  auto path = main.get<std::string>();
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  return path;
}

}  // namespace

code_files read_code_files(const json& files, const std::string& at,
                           std::vector<problem>& problems) {
  code_files code;
  if (!files.is_object() || files.empty()) {
    problems.push_back({at, "an object of path → file content, with package.json"});
    return code;
  }
  if (files.size() > max_code_files)
    problems.push_back({at, "at most " + std::to_string(max_code_files) + " files"});
  std::size_t total = 0;
  for (const auto& [path, content] : files.items()) {
    auto here = at + "/" + pointer_escape(path);
    auto why = path_problem(path);
    if (!why.empty()) {
      problems.push_back({here, why});
      continue;
    }
    if (!content.is_string()) {
      problems.push_back({here, "a file's content is a string"});
      continue;
    }
    const auto& text = content.get_ref<const std::string&>();
    if (text.size() > max_code_file_bytes)
      problems.push_back(
          {here, "a file of at most " + std::to_string(max_code_file_bytes) + " bytes"});
    total += text.size();
    code.files.emplace(path, text);
  }
  if (total > max_code_bytes)
    problems.push_back({at, "the files have " + std::to_string(total) + " bytes; at most " +
                                std::to_string(max_code_bytes) + " are allowed"});
  auto package_at = at + "/package.json";
  auto package = code.files.find("package.json");
  if (package == code.files.end()) {
    problems.push_back({package_at, "a hosted bot is a Node.js project: package.json is missing"});
    return code;
  }
  auto manifest = json::parse(package->second, nullptr, false);
  if (!manifest.is_object()) {
    problems.push_back({package_at, "package.json is not a JSON object"});
    return code;
  }
  code.main = main_of(manifest);
  if (code.main.empty()) code.main = "index.js";
  if (!code.files.count(code.main))
    problems.push_back({package_at, "\"main\" is " + code.main + ", which is not among the files"});
  const auto& dependencies = member_of(manifest, "dependencies");
  if (!dependencies.is_null() && !dependencies.is_object())
    problems.push_back({package_at, "\"dependencies\" is an object"});
  code.installs = dependencies.is_object() && !dependencies.empty();
  if (code.installs) {
    auto lock = code.files.find("package-lock.json");
    if (lock == code.files.end())
      problems.push_back({at + "/package-lock.json",
                          "package.json names dependencies: add its package-lock.json (npm "
                          "install writes it), which npm ci installs from"});
    else if (!json::parse(lock->second, nullptr, false).is_object())
      problems.push_back({at + "/package-lock.json", "package-lock.json is not a JSON object"});
  }
  return code;
}

std::map<std::string, std::string> version_texts(const json& definition) {
  std::map<std::string, std::string> texts;
  auto rest = definition;
  if (rest.is_object() && rest.contains("files") && rest["files"].is_object()) {
    for (const auto& [path, content] : rest["files"].items())
      if (content.is_string()) texts[path] = content.get<std::string>();
    rest.erase("files");
  }
  texts["definition.json"] = rest.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return texts;
}

json diff_versions(const json& from, const json& to) {
  auto before = version_texts(from), after = version_texts(to);
  json changes = json::array();
  auto add = [&](const std::string& path, const char* change, const std::string& a,
                 const std::string& b) {
    changes.push_back({{"path", path}, {"change", change}, {"diff", unified_diff(a, b)}});
  };
  auto a = before.begin();
  auto b = after.begin();
  while (a != before.end() || b != after.end()) {
    if (b == after.end() || (a != before.end() && a->first < b->first)) {
      add(a->first, "removed", a->second, "");
      ++a;
    } else if (a == before.end() || b->first < a->first) {
      add(b->first, "added", "", b->second);
      ++b;
    } else {
      if (a->second != b->second) add(a->first, "changed", a->second, b->second);
      ++a, ++b;
    }
  }
  return changes;
}

}  // namespace paige::actors::bot

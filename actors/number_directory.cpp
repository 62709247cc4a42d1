#include "actors/number_directory.hpp"

namespace paige::actors {

number_directory::number_directory() : current_(std::make_shared<const map>()) {}

std::shared_ptr<const number_directory::map> number_directory::snapshot() const {
  return std::atomic_load(&current_);
}

caf::actor number_directory::find(const std::string& phone_number_id) const {
  auto snap = snapshot();
  auto it = snap->find(phone_number_id);
  return it == snap->end() ? caf::actor{} : it->second;
}

void number_directory::set(const std::string& phone_number_id, const caf::actor& project) {
  std::lock_guard<std::mutex> lock{write_mutex_};
  auto next = std::make_shared<map>(*snapshot());
  for (auto it = next->begin(); it != next->end();)
    it = it->second == project ? next->erase(it) : std::next(it);
  (*next)[phone_number_id] = project;
  std::atomic_store(&current_, std::shared_ptr<const map>{std::move(next)});
}

void number_directory::remove(const caf::actor_addr& project) {
  std::lock_guard<std::mutex> lock{write_mutex_};
  auto next = std::make_shared<map>(*snapshot());
  for (auto it = next->begin(); it != next->end();)
    it = it->second.address() == project ? next->erase(it) : std::next(it);
  std::atomic_store(&current_, std::shared_ptr<const map>{std::move(next)});
}

}  // namespace paige::actors

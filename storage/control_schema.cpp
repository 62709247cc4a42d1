#include "storage/control_schema.hpp"

namespace paige::storage {

const std::vector<migration>& control_migrations() {
  static const std::vector<migration> list{
      {1, "instance settings",
       R"sql(
         -- Instance-wide settings (e.g. the fingerprint of the master key, so a start with the
         -- wrong key fails loudly instead of producing undecryptable secrets).
         CREATE TABLE instance_settings (
           key        text PRIMARY KEY,
           value      jsonb NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now()
         );
       )sql"},
  };
  return list;
}

}  // namespace paige::storage

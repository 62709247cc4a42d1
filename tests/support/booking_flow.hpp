/// @file
/// @brief The seeds' booking flow as tests use it: a form screen (name, service, date) that
/// navigates to a confirmation, which completes with the three fields.
#pragma once

#include <nlohmann/json.hpp>

namespace paige::test {

inline nlohmann::json booking_flow_json() {
  return nlohmann::json::parse(R"({
    "version": "7.3",
    "screens": [
      {"id": "BOOKING", "title": "Book a visit",
       "layout": {"type": "SingleColumnLayout", "children": [
         {"type": "Form", "name": "form", "children": [
           {"type": "TextInput", "name": "name", "label": "Your name", "required": true},
           {"type": "Dropdown", "name": "service", "label": "Service", "data-source": [
             {"id": "cut", "title": "Haircut"}, {"id": "color", "title": "Colour"}]},
           {"type": "DatePicker", "name": "date", "label": "Date"},
           {"type": "Footer", "label": "Continue", "on-click-action": {
             "name": "navigate", "next": {"type": "screen", "name": "CONFIRM"},
             "payload": {"name": "${form.name}", "service": "${form.service}",
                         "date": "${form.date}"}}}
         ]}
       ]}},
      {"id": "CONFIRM", "title": "Confirm", "terminal": true,
       "data": {"name": {"type": "string", "__example__": "Ana"},
                "service": {"type": "string", "__example__": "cut"},
                "date": {"type": "string", "__example__": "2026-12-24"}},
       "layout": {"type": "SingleColumnLayout", "children": [
         {"type": "TextBody", "text": "${data.name}, see you on ${data.date}"},
         {"type": "Footer", "label": "Book", "on-click-action": {
           "name": "complete",
           "payload": {"name": "${data.name}", "service": "${data.service}",
                       "date": "${data.date}"}}}
       ]}}
    ]})");
}

}  // namespace paige::test

/// @file
/// @brief The WhatsApp account actor: one per project, the only one that speaks to Meta about the
/// project's WhatsApp Business account (number onboarding now; business profile, templates and
/// flows belong here too). Messages to contacts go through meta_sync, not here.
///
/// Protocol (typed: a wrong message or reply type fails to compile):
///   (connect_atom, number_request) → storage::number_row: reads the number from the Graph API,
///       registers it with its PIN, subscribes the app to the WABA and stores it (token and PIN
///       sealed) | conflict number_in_use (checked before Meta is called, and again on store) |
///       invalid_argument whatsapp_token_invalid / whatsapp_rejected | upstream graph_unavailable
///   (signup_atom, signup_request) → storage::number_row: the embedded signup, step by step,
///       each stored before the next (exchange the code for a business token, check its
///       scopes, subscribe the app to the WABA, register the number, read and store it); a
///       refused step marks the signup failed with the step and Meta's error | not_configured
///       app_id_not_configured (no app id) | conflict number_in_use | the same Graph errors
///   (signup_atom) → storage::number_row: resumes the stored signup from its step (after a
///       crash) | not_found signup_not_running
///   (profile_get_atom, number) → std::string: the number's business profile as the API shows it
///       (actors/core/business_profile.hpp), read from Meta | the same Graph errors
///   (profile_set_atom, number, patch_json) → std::string: sends a checked change to Meta, then
///       reads the profile back | the same Graph errors
///   (photo_atom, number, bytes, mime) → std::string: the profile after its photo was set
///       through the Resumable Upload API (an upload session of the app, the bytes, the handle
///       given to the profile) | not_configured app_id_not_configured | the same Graph errors
///   (display_name_atom, number, name) → bool: asks Meta to review `name` as the number's
///       display name (checked by the caller) | the same Graph errors
///   (reregister_atom, number) → bool: registers the number again with its PIN, as Meta
///       requires after a display name is approved | the same Graph errors
///   (template_create_atom, number, body_json) → std::string: submits a template (checked by
///       the caller) to the number's WABA; Meta's answer ({"id", "status", "category"})
///   (template_list_atom, number) → std::string: every template of the WABA, all of Meta's
///       pages, as a JSON array of Meta's objects
///   (template_edit_atom, number, meta_id, body_json) → bool: new components and/or category
///   (template_delete_atom, number, name, meta_id) → bool: the template's languages (all when
///       meta_id is empty)
///   (template_media_atom, number, bytes, mime) → std::string: the handle of a file uploaded for
///       a template's media header example | not_configured app_id_not_configured
///   (flow_create_atom, number, body_json) → std::string: makes a flow on the number's WABA
///       (`{"name", "categories", "flow_json": text, "endpoint_uri"?}`, checked by the caller);
///       Meta's answer ({"id", "validation_errors"})
///   (flow_asset_atom, number, meta_id, flow_json_text) → std::string: uploads a draft's Flow
///       JSON (multipart flow.json); Meta's answer ({"success", "validation_errors"})
///   (flow_call_atom, number, meta_id, action, body_json) → std::string: Meta's answer to
///       "update" (the metadata of body_json), "publish", "deprecate", "delete" or "preview"
///       (the flow's preview link)
///   (flow_key_atom, number, public_pem) → std::string: uploads the number's public key for
///       its flows' data-exchange endpoint, then reads Meta's view of it
///       ({"business_public_key", "business_public_key_signature_status"})
///   (flow_key_atom, number) → std::string: Meta's view of the number's public key
///   every one | the same Graph errors
/// One request at a time: a call holds back the next until Meta and the control database answered.
/// It is spawned linked to its project actor and ends with it.
#pragma once

#include "actors/project_types.hpp"

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>

namespace paige::actors {

/// What connecting a number needs (all from the operator's request).
struct number_request {
  std::string phone_number_id;
  std::string waba_id;
  std::string access_token;
  std::string pin;  ///< the two-step verification PIN Meta's register call wants
};

/// What Meta's embedded signup dialog handed the browser, and the PIN to register with.
struct signup_request {
  std::string code;  ///< single use, valid briefly
  std::string waba_id;
  std::string phone_number_id;
  std::string pin;
  std::string redirect_uri;  ///< the dialog's redirect, when it had one: the exchange repeats it
};

using whatsapp_account = caf::typed_actor<
    caf::replies_to<connect_atom, number_request>::with<storage::number_row>,
    caf::replies_to<signup_atom, signup_request>::with<storage::number_row>,
    caf::replies_to<signup_atom>::with<storage::number_row>,
    caf::replies_to<profile_get_atom, storage::number_row>::with<std::string>,
    caf::replies_to<profile_set_atom, storage::number_row, std::string>::with<std::string>,
    caf::replies_to<photo_atom, storage::number_row, std::string, std::string>::with<std::string>,
    caf::replies_to<display_name_atom, storage::number_row, std::string>::with<bool>,
    caf::replies_to<reregister_atom, storage::number_row>::with<bool>,
    caf::replies_to<template_create_atom, storage::number_row, std::string>::with<std::string>,
    caf::replies_to<template_list_atom, storage::number_row>::with<std::string>,
    caf::replies_to<template_edit_atom, storage::number_row, std::string, std::string>::with<bool>,
    caf::replies_to<template_delete_atom, storage::number_row, std::string,
                    std::string>::with<bool>,
    caf::replies_to<template_media_atom, storage::number_row, std::string,
                    std::string>::with<std::string>,
    caf::replies_to<flow_create_atom, storage::number_row, std::string>::with<std::string>,
    caf::replies_to<flow_asset_atom, storage::number_row, std::string,
                    std::string>::with<std::string>,
    caf::replies_to<flow_call_atom, storage::number_row, std::string, std::string,
                    std::string>::with<std::string>,
    caf::replies_to<flow_key_atom, storage::number_row, std::string>::with<std::string>,
    caf::replies_to<flow_key_atom, storage::number_row>::with<std::string>>;

/// Spawns the account actor of `project_id`, linked to `parent` (its project actor).
whatsapp_account spawn_whatsapp_account(caf::local_actor* parent, std::string project_id,
                                        services_ptr services);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::number_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::signup_request)

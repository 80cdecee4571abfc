/* The bindings scenario in C against a real community-server (started by
 * tests/bindings.sh, which passes CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB).
 * Two users; a community and a channel; 10 messages; the receiver's callback sees all
 * 10; unread 10 -> mark_read -> 0; a message edited, reacted to, pinned and recalled,
 * with a plain member's pin refused (4000) and an edit of another's message refused
 * (4011); roles and permissions (a read-only channel by override, a moderator group,
 * 4000 / 4014 / 4013 refusals, a ban lifted, a notification level); threads (a thread
 * started from a message, a reply from a member who joined, the thread's unread count,
 * the digest on the parent message, the channel's thread list, an archived thread
 * refusing a post with 4015); people (a direct conversation read by its receiver, a
 * message through a block refused with 4017, a display name, presence, typing, voice);
 * search (a word and a CJK substring highlighted on the right bytes, a malformed query
 * refused with 5037, the merged search with each message once, channels, communities and
 * members by name); a 301-character community name fails with 5000 (name_too_long). Prints
 * "N passed, N failed". Kept valgrind-clean. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "community_sdk.h"

static int passed, failed;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (cond) {                                            \
      passed++;                                            \
    } else {                                               \
      failed++;                                            \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);          \
      printf(__VA_ARGS__);                                 \
      printf("\n");                                        \
    }                                                      \
  } while (0)

/* Checks an SDK call; on failure prints the last error JSON. */
static int ok(int32_t code, const char *what) {
  if (code == CSDK_OK) {
    passed++;
    return 1;
  }
  char *error = csdk_last_error();
  failed++;
  printf("FAIL %s: code %d %s\n", what, code, error ? error : "(no detail)");
  csdk_string_free(error);
  return 0;
}

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (!value || !*value) {
    fprintf(stderr, "missing environment variable %s\n", name);
    exit(2);
  }
  return value;
}

/* The unsigned number after "key": in json, or 0. */
static unsigned long long json_u64(const char *json, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *at = json ? strstr(json, pattern) : NULL;
  return at ? strtoull(at + strlen(pattern), NULL, 10) : 0;
}

/* Copies the string value of "key": in json into out (empty when absent). */
static void json_str(const char *json, const char *key, char *out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *at = json ? strstr(json, pattern) : NULL;
  out[0] = '\0';
  if (!at) return;
  at += strlen(pattern);
  size_t n = 0;
  while (at[n] && at[n] != '"' && n + 1 < size) n++;
  memcpy(out, at, n);
  out[n] = '\0';
}

/* What the message callback saw: which of "message 0".."message 9" arrived. */
struct seen {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  unsigned mask;
  int calls;
  int on_callback_thread;
};

static void on_messages(void *user_data, const char *json) {
  struct seen *seen = user_data;
  pthread_mutex_lock(&seen->lock);
  seen->calls++;
  for (const char *at = json; (at = strstr(at, "\"text\":\"message ")) != NULL;) {
    at += strlen("\"text\":\"message ");
    int n = atoi(at);
    if (n >= 0 && n < 10) seen->mask |= 1u << n;
  }
  pthread_cond_broadcast(&seen->changed);
  pthread_mutex_unlock(&seen->lock);
}

static void deadline_in(struct timespec *deadline, int seconds) {
  clock_gettime(CLOCK_REALTIME, deadline);
  deadline->tv_sec += seconds;
}

/* Counts log records that report a login (the SDK's `logged in` event). */
static int logins_logged;
static void on_log(void *user_data, const char *json) {
  (void)user_data;
  if (strstr(json, "\"message\":\"logged in") && strstr(json, "\"target\":\"community_sdk")) {
    __atomic_add_fetch(&logins_logged, 1, __ATOMIC_SEQ_CST);
  }
}

static void pause_ms(long ms) {
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

/* The cached copy of message `seq` (Message JSON) once it contains `needle` and
 * `also` (when not NULL), polling for at most 30 s; NULL when it never does. The caller
 * frees it. */
static char *cached_until(CsdkClient *client, const char *community, const char *channel,
                          uint64_t seq, const char *needle, const char *also) {
  for (int i = 0; i < 300; i++) {
    char *page = NULL;
    if (csdk_channel_messages(client, community, channel, seq + 1, 1, &page) == CSDK_OK && page &&
        strstr(page, needle) && (!also || strstr(page, also))) {
      return page;
    }
    csdk_string_free(page);
    pause_ms(100);
  }
  char *page = NULL;
  csdk_channel_messages(client, community, channel, seq + 1, 1, &page);
  printf("message %llu never showed %s %s: %s\n", (unsigned long long)seq, needle, also ? also : "",
         page ? page : "NULL");
  csdk_string_free(page);
  return NULL;
}

/* Waits for the end of a change (PendingChange JSON) made by `client`; frees the JSON.
 * Returns the change sequence (0 when none or on failure). */
static uint64_t wait_change(CsdkClient *client, char *change, const char *what) {
  char key[80];
  json_str(change, "key", key, sizeof key);
  CHECK(change && strstr(change, "\"state\":{\"type\":\"pending\"}"), "%s is pending: %s", what,
        change ? change : "NULL");
  csdk_string_free(change);
  uint64_t change_seq = 0;
  ok(csdk_client_wait_for_change(client, key, &change_seq), what);
  return change_seq;
}

/* The life of a message: bob's message edited, reacted to by both, pinned by alice (the
 * owner), refusals typed, then recalled by bob into a tombstone. */
static void message_life(CsdkClient *alice, CsdkClient *bob, const char *community, const char *channel) {
  char *echo = NULL;
  ok(csdk_channel_send(bob, community, channel, "{\"type\":\"text\",\"text\":\"first draft\"}",
                       "{\"custom_data\":\"mood=calm\"}", &echo),
     "send with custom data");
  char local_id[80];
  json_str(echo, "local_id", local_id, sizeof local_id);
  csdk_string_free(echo);
  uint64_t seq = 0;
  ok(csdk_client_wait_for_send(bob, local_id, &seq), "wait_for_send");

  const char *edit = "{\"content\":{\"type\":\"text\",\"text\":\"final text\"}}";
  char *change = NULL;
  ok(csdk_channel_edit_message(bob, community, channel, seq, edit, &change), "edit");
  CHECK(change && strstr(change, "\"action\":{\"type\":\"edit\""), "edit change: %s", change ? change : "NULL");
  CHECK(wait_change(bob, change, "wait for the edit") >= 1, "the edit has a change sequence");
  char *copy = cached_until(alice, community, channel, seq, "\"text\":\"final text\"", "\"edit_count\":1");
  CHECK(copy && strstr(copy, "\"custom_data\":\"mood=calm\"") && !strstr(copy, "\"edited_at_ms\":null"),
        "alice sees the edit: %s", copy ? copy : "NULL");
  csdk_string_free(copy);

  CsdkClient *reactors[2] = {alice, bob};
  for (int i = 0; i < 2; i++) {
    change = NULL;
    ok(csdk_channel_add_reaction(reactors[i], community, channel, seq, "\xF0\x9F\x91\x8D", &change), "react");
    wait_change(reactors[i], change, "wait for the reaction");
  }
  copy = cached_until(alice, community, channel, seq, "\"count\":2", NULL);
  CHECK(copy && strstr(copy, "\"emoji\":\"\xF0\x9F\x91\x8D\"") && strstr(copy, "\"me\":true"),
        "two thumbs up, one of them alice's: %s", copy ? copy : "NULL");
  csdk_string_free(copy);

  change = NULL;
  ok(csdk_channel_pin_message(alice, community, channel, seq, &change), "pin");
  wait_change(alice, change, "wait for the pin");
  copy = cached_until(alice, community, channel, seq, "\"pinned\":{\"by\":\"alice\"", NULL);
  CHECK(copy != NULL, "alice sees the pin");
  csdk_string_free(copy);
  char *pins = NULL;
  ok(csdk_channel_pins(alice, community, channel, &pins), "pins");
  CHECK(pins && pins[0] == '[' && json_u64(pins, "seq") == seq, "the pinned message is listed: %s", pins ? pins : "NULL");
  csdk_string_free(pins);

  /* Typed refusals: a plain member may not pin; nobody edits another's message. */
  char *none = NULL;
  int32_t code = csdk_channel_pin_message(bob, community, channel, seq, &none);
  CHECK(code == CSDK_ERR_PERMISSION_DENIED && none == NULL, "bob's pin is permission_denied (got %d)", code);
  char *error = csdk_last_error();
  CHECK(error && strstr(error, "\"name\":\"permission_denied\"") && strstr(error, "\"kind\":\"permission\""),
        "error JSON: %s", error ? error : "NULL");
  csdk_string_free(error);
  code = csdk_channel_edit_message(alice, community, channel, seq, edit, &none);
  CHECK(code == CSDK_ERR_NOT_AUTHOR && none == NULL, "alice editing bob's message is not_author (got %d)", code);

  change = NULL;
  ok(csdk_channel_recall_message(bob, community, channel, seq, &change), "recall");
  wait_change(bob, change, "wait for the recall");
  copy = cached_until(alice, community, channel, seq, "\"content\":{\"type\":\"recalled\",\"by\":\"bob\"",
                      "\"reactions\":[]");
  CHECK(copy && strstr(copy, "\"pinned\":null"), "a tombstone without reactions or pin: %s", copy ? copy : "NULL");
  csdk_string_free(copy);
  code = csdk_channel_add_reaction(alice, community, channel, seq, "x", &none);
  CHECK(code == CSDK_ERR_MESSAGE_RECALLED, "reacting to a recalled message is message_recalled (got %d)", code);
}

/* Polls `client`'s cached permissions of a channel until `(bits & mask) == want`; returns
 * the last bits read. */
static uint64_t permissions_until(CsdkClient *client, const char *community, const char *channel,
                                  uint64_t mask, uint64_t want) {
  uint64_t bits = 0;
  for (int i = 0; i < 300; i++) {
    if (csdk_channel_permissions(client, community, channel, &bits) == CSDK_OK && bits != 0 &&
        (bits & mask) == want) {
      return bits;
    }
    pause_ms(100);
  }
  return bits;
}

/* Roles and permissions: a read-only #rules (@everyone denied send_messages by an
 * override), a "mods" group given to bob (pins there, still cannot send, cannot change his
 * own group: 4014), member fields and the member list by group, a ban (rejoining refused
 * with 4013 until unbanned), and bob's notification level of #rules. */
static void roles(CsdkClient *alice, CsdkClient *bob) {
  char *community = NULL, *rules = NULL, *json = NULL, *none = NULL;
  ok(csdk_client_create_community(alice, "{\"name\":\"C roles\"}", &community), "roles community");
  ok(csdk_community_create_channel(alice, community, "{\"name\":\"rules\"}", &rules), "#rules");
  if (!community || !rules) {
    csdk_string_free(community);
    csdk_string_free(rules);
    return;
  }
  ok(csdk_client_join_community(bob, community, NULL, &json), "bob joins the roles community");
  csdk_string_free(json);

  char rule[160];
  snprintf(rule, sizeof rule, "{\"target\":{\"type\":\"group\",\"group_id\":\"everyone\"},\"deny\":%llu}",
           (unsigned long long)CSDK_PERMISSION_SEND_MESSAGES);
  json = NULL;
  ok(csdk_channel_set_override(alice, community, rules, rule, &json), "set_override");
  CHECK(json && strstr(json, "\"overrides\":[{\"target\":{\"type\":\"group\",\"group_id\":\"everyone\"}") &&
            json_u64(json, "deny") == CSDK_PERMISSION_SEND_MESSAGES,
        "the override is on the channel: %s", json ? json : "NULL");
  csdk_string_free(json);
  char *echo = NULL;
  ok(csdk_channel_send_text(alice, community, rules, "be kind", &echo), "the owner posts in #rules");
  char local_id[80];
  json_str(echo, "local_id", local_id, sizeof local_id);
  csdk_string_free(echo);
  uint64_t seq = 0;
  ok(csdk_client_wait_for_send(alice, local_id, &seq), "the owner's post is sent");

  const uint64_t view = CSDK_PERMISSION_VIEW_CHANNEL, send = CSDK_PERMISSION_SEND_MESSAGES;
  uint64_t bits = permissions_until(bob, community, rules, view | send, view);
  CHECK((bits & view) && !(bits & send), "bob sees #rules but may not send there (bits %llu)", (unsigned long long)bits);
  int32_t code = csdk_channel_check_operation(bob, community, rules, "send_message");
  CHECK(code == CSDK_ERR_PERMISSION_DENIED, "check_operation(send_message) is permission_denied (got %d)", code);
  code = csdk_channel_check_send(bob, community, rules, "{\"type\":\"text\",\"text\":\"hi\"}", NULL);
  CHECK(code == CSDK_ERR_PERMISSION_DENIED, "check_send is permission_denied (got %d)", code);
  code = csdk_channel_pin_message(bob, community, rules, seq, &none);
  CHECK(code == CSDK_ERR_PERMISSION_DENIED && none == NULL, "bob may not pin without manage_messages (got %d)", code);

  const uint64_t mod_flags = CSDK_PERMISSION_MANAGE_MESSAGES | CSDK_PERMISSION_KICK_MEMBERS |
                             CSDK_PERMISSION_MUTE_MEMBERS | CSDK_PERMISSION_MANAGE_ROLES;
  char group_json[96];
  snprintf(group_json, sizeof group_json, "{\"name\":\"mods\",\"permissions\":%llu}", (unsigned long long)mod_flags);
  json = NULL;
  ok(csdk_community_create_group(alice, community, group_json, &json), "create_group");
  char group_id[80];
  json_str(json, "group_id", group_id, sizeof group_id);
  CHECK(group_id[0] && json_u64(json, "permissions") == mod_flags && json_u64(json, "position") == 1,
        "the mods group: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_community_groups(alice, community, &json), "groups");
  CHECK(json && strstr(json, "\"group_id\":\"everyone\"") && strstr(json, group_id), "cached groups: %s",
        json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_community_assign_group(alice, community, "bob", group_id, &json), "assign_group");
  CHECK(json && strstr(json, "\"groups\":[\"") && strstr(json, group_id), "bob holds mods: %s", json ? json : "NULL");
  csdk_string_free(json);
  const uint64_t manage = CSDK_PERMISSION_MANAGE_MESSAGES;
  bits = permissions_until(bob, community, rules, manage | send, manage);
  CHECK((bits & manage) && !(bits & send), "bob may pin, not send, in #rules (bits %llu)", (unsigned long long)bits);
  ok(csdk_channel_check_operation(bob, community, rules, "pin_message"), "check_operation(pin_message)");
  ok(csdk_community_check_operation(bob, community, "kick_member"), "check_operation(kick_member)");
  char *change = NULL;
  ok(csdk_channel_pin_message(bob, community, rules, seq, &change), "the moderator pins");
  wait_change(bob, change, "wait for the moderator's pin");
  code = csdk_community_update_group(bob, community, group_id, "{\"color\":16711680}", &none);
  CHECK(code == CSDK_ERR_CANNOT_ACT_ON_HIGHER && none == NULL, "bob changing his own group is cannot_act_on_higher (got %d)",
        code);

  json = NULL;
  ok(csdk_community_set_member_fields(alice, community, "bob", "{\"team\":\"blue\"}", &json), "set_member_fields");
  CHECK(json && strstr(json, "\"custom_fields\":{\"team\":\"blue\"}"), "bob's fields: %s", json ? json : "NULL");
  csdk_string_free(json);
  char query[128];
  snprintf(query, sizeof query, "{\"group_id\":\"%s\"}", group_id);
  json = NULL;
  ok(csdk_community_find_members(alice, community, query, &json), "find_members by group");
  CHECK(json && json_u64(json, "total_count") == 1 && strstr(json, "\"user_id\":\"bob\""), "members of mods: %s",
        json ? json : "NULL");
  csdk_string_free(json);

  ok(csdk_community_ban(alice, community, "bob", 0, "spam"), "ban");
  json = NULL;
  ok(csdk_community_bans(alice, community, &json), "bans");
  CHECK(json && strstr(json, "\"user_id\":\"bob\"") && strstr(json, "\"reason\":\"spam\"") &&
            strstr(json, "\"until_ms\":null"),
        "the ban is listed: %s", json ? json : "NULL");
  csdk_string_free(json);
  int gone = 0;
  for (int i = 0; i < 300 && !gone; i++) {
    json = NULL;
    gone = csdk_community_entry(bob, community, &json) == CSDK_OK && json && strcmp(json, "null") == 0;
    csdk_string_free(json);
    if (!gone) pause_ms(100);
  }
  CHECK(gone, "the community leaves bob's device");
  code = csdk_client_join_community(bob, community, NULL, &none);
  CHECK(code == CSDK_ERR_BANNED && none == NULL, "a banned user's join is banned (got %d)", code);
  ok(csdk_community_unban(alice, community, "bob"), "unban");
  json = NULL;
  ok(csdk_client_join_community(bob, community, NULL, &json), "bob rejoins after the unban");
  CHECK(json && strstr(json, "\"type\":\"joined\""), "rejoined: %s", json ? json : "NULL");
  csdk_string_free(json);

  json = NULL;
  ok(csdk_channel_set_notification_level(bob, community, rules, "mentions_only", &json), "set_notification_level");
  CHECK(json && strstr(json, "\"notification_level\":\"mentions_only\""), "head: %s", json ? json : "NULL");
  csdk_string_free(json);
  csdk_string_free(community);
  csdk_string_free(rules);
}

/* What the thread-list callback saw: whether "raid plan" arrived archived. */
struct thread_list {
  pthread_mutex_t lock;
  int archived_seen;
};

static void on_threads(void *user_data, const char *json) {
  struct thread_list *list = user_data;
  pthread_mutex_lock(&list->lock);
  if (strstr(json, "\"type\":\"update\"") && strstr(json, "\"name\":\"raid plan\"") &&
      strstr(json, "\"archived\":true")) {
    list->archived_seen = 1;
  }
  pthread_mutex_unlock(&list->lock);
}

/* Polls a thread's JSON read by `read` until it contains `needle`; returns whether it did. */
static int thread_json_until(int32_t (*read)(const CsdkClient *, const char *, const char *, const char *, char **),
                             CsdkClient *client, const char *community, const char *channel, const char *thread,
                             const char *needle) {
  for (int i = 0; i < 300; i++) {
    char *json = NULL;
    int found = read(client, community, channel, thread, &json) == CSDK_OK && json && strstr(json, needle);
    csdk_string_free(json);
    if (found) return 1;
    pause_ms(100);
  }
  return 0;
}

/* Threads: alice starts a thread from her message (a second one on it is 3014); bob,
 * watching the channel's thread list, joins and replies; alice's unread count of the
 * thread and the channel's threads mark; the digest on the parent message (one reply,
 * bob's); the channel's threads; archived, bob's post is refused with 4015. */
static void threads(CsdkClient *alice, CsdkClient *bob) {
  char *community = NULL, *channel = NULL, *thread = NULL, *json = NULL, *none = NULL;
  ok(csdk_client_create_community(alice, "{\"name\":\"C threads\"}", &community), "threads community");
  ok(csdk_community_create_channel(alice, community, "{\"name\":\"c-threads\"}", &channel), "#c-threads");
  ok(csdk_client_join_community(bob, community, NULL, &json), "bob joins the threads community");
  csdk_string_free(json);
  struct thread_list list = {.archived_seen = 0};
  pthread_mutex_init(&list.lock, NULL);
  CsdkSubscription *subscription = NULL;
  ok(csdk_channel_subscribe_threads(bob, community, channel, on_threads, &list, &subscription), "subscribe_threads");

  char *echo = NULL;
  char local_id[80];
  ok(csdk_channel_send_text(alice, community, channel, "raid tonight?", &echo), "the parent message");
  json_str(echo, "local_id", local_id, sizeof local_id);
  csdk_string_free(echo);
  uint64_t parent = 0;
  ok(csdk_client_wait_for_send(alice, local_id, &parent), "the parent message is sent");
  char params[96];
  snprintf(params, sizeof params, "{\"name\":\"raid plan\",\"parent_seq\":%llu}", (unsigned long long)parent);
  ok(csdk_channel_create_thread(alice, community, channel, params, &thread), "create_thread");
  int32_t code = csdk_channel_create_thread(alice, community, channel, params, &none);
  CHECK(code == CSDK_ERR_THREAD_EXISTS && none == NULL, "a second thread on one message is thread_exists (got %d)", code);
  if (!thread) goto done;

  json = NULL;
  ok(csdk_thread_join(bob, community, channel, thread, &json), "bob joins the thread");
  CHECK(json && strstr(json, thread), "bob's head of the thread: %s", json ? json : "NULL");
  csdk_string_free(json);
  echo = NULL;
  ok(csdk_thread_send_text(bob, community, channel, thread, "count me in", &echo), "bob replies in the thread");
  json_str(echo, "local_id", local_id, sizeof local_id);
  csdk_string_free(echo);
  uint64_t reply = 0;
  ok(csdk_client_wait_for_send(bob, local_id, &reply), "the reply is sent");
  CHECK(reply == 1, "the first reply is #1 of the thread (got %llu)", (unsigned long long)reply);

  CHECK(thread_json_until(csdk_thread_unread, alice, community, channel, thread, "\"unread_count\":1"),
        "alice has the reply unread in the thread");
  json = NULL;
  ok(csdk_channel_threads_unread(alice, community, channel, &json), "threads_unread");
  CHECK(json && json_u64(json, "unread_count") == 1, "the channel's threads mark: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_community_joined_threads(bob, community, &json), "joined_threads");
  CHECK(json && strstr(json, thread), "bob's joined threads: %s", json ? json : "NULL");
  csdk_string_free(json);

  /* The digest on the parent message: one reply, bob's (DigestLast: seq, sender, text). */
  char *copy = cached_until(alice, community, channel, parent, "\"message_count\":1",
                            "\"last\":{\"seq\":1,\"sender_id\":\"bob\",\"text\":\"count me in\"");
  CHECK(copy && strstr(copy, "\"name\":\"raid plan\"") && strstr(copy, "\"participant_count\":1"),
        "the digest: %s", copy ? copy : "NULL");
  csdk_string_free(copy);
  json = NULL;
  ok(csdk_thread_messages(alice, community, channel, thread, 0, 10, &json), "the thread's history");
  CHECK(json && strstr(json, "\"text\":\"count me in\""), "history: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_thread_mark_all_read(alice, community, channel, thread, &json), "mark the thread read");
  CHECK(json && json_u64(json, "unread_count") == 0, "head: %s", json ? json : "NULL");
  csdk_string_free(json);

  /* The channel's threads; archived, the thread refuses posts with a typed error. */
  json = NULL;
  ok(csdk_channel_threads(alice, community, channel, false, NULL, 0, &json), "active threads");
  CHECK(json && strstr(json, thread) && json_u64(json, "message_count") == 1, "active: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_thread_update(alice, community, channel, thread, "{\"archived\":true}", &json), "archive");
  CHECK(json && strstr(json, "\"archived\":true"), "archived: %s", json ? json : "NULL");
  csdk_string_free(json);
  CHECK(thread_json_until(csdk_thread_info, bob, community, channel, thread, "\"archived\":true"),
        "bob's cache knows the thread is archived");
  code = csdk_thread_send_text(bob, community, channel, thread, "too late", &none);
  CHECK(code == CSDK_ERR_THREAD_ARCHIVED && none == NULL, "posting in an archived thread is thread_archived (got %d)",
        code);
  char *error = csdk_last_error();
  CHECK(error && strstr(error, "\"name\":\"thread_archived\""), "error JSON: %s", error ? error : "NULL");
  csdk_string_free(error);
  json = NULL;
  ok(csdk_channel_threads(alice, community, channel, true, NULL, 0, &json), "archived threads");
  CHECK(json && strstr(json, thread), "archived: %s", json ? json : "NULL");
  csdk_string_free(json);
  int seen = 0;
  for (int i = 0; i < 300 && !seen; i++) {
    pthread_mutex_lock(&list.lock);
    seen = list.archived_seen;
    pthread_mutex_unlock(&list.lock);
    if (!seen) pause_ms(100);
  }
  CHECK(seen, "bob's thread list shows the thread archived");

done:
  csdk_subscription_free(subscription); /* after this, `list` may go away */
  pthread_mutex_destroy(&list.lock);
  csdk_string_free(thread);
  csdk_string_free(community);
  csdk_string_free(channel);
}

/* The last value a people callback got (typing, voice, presence), as a JSON copy. */
struct latest {
  pthread_mutex_t lock;
  char *json;
};

static void on_latest(void *user_data, const char *json) {
  struct latest *latest = user_data;
  pthread_mutex_lock(&latest->lock);
  free(latest->json);
  latest->json = strdup(json);
  pthread_mutex_unlock(&latest->lock);
}

/* Polls (at most 30 s) until the last value contains `needle` and `also` (when not NULL). */
static int latest_until(struct latest *latest, const char *needle, const char *also) {
  for (int i = 0; i < 300; i++) {
    pthread_mutex_lock(&latest->lock);
    int found = latest->json && strstr(latest->json, needle) && (!also || strstr(latest->json, also));
    pthread_mutex_unlock(&latest->lock);
    if (found) return 1;
    pause_ms(100);
  }
  pthread_mutex_lock(&latest->lock);
  printf("the last value never showed %s: %s\n", needle, latest->json ? latest->json : "NULL");
  pthread_mutex_unlock(&latest->lock);
  return 0;
}

/* People: alice writes to bob directly (a conversation of "@me"); bob's list shows it with
 * one unread, he reads it; alice blocks bob and his message is refused with 4017; alice's
 * display name reaches bob; bob follows alice's presence (online); alice types in a channel
 * and bob's typing subscription shows her; alice sits in a voice channel and bob's voice
 * subscription shows her. */
static void people(CsdkClient *alice, CsdkClient *bob) {
  char *community = NULL, *channel = NULL, *voice = NULL, *dm = NULL, *json = NULL, *echo = NULL;
  CsdkSubscription *presence_sub = NULL, *typing_sub = NULL, *voice_sub = NULL;
  struct latest presence = {.json = NULL}, typing = {.json = NULL}, seated = {.json = NULL};
  pthread_mutex_init(&presence.lock, NULL);
  pthread_mutex_init(&typing.lock, NULL);
  pthread_mutex_init(&seated.lock, NULL);
  ok(csdk_client_create_community(alice, "{\"name\":\"C people\"}", &community), "people community");
  ok(csdk_community_create_channel(alice, community, "{\"name\":\"c-people\"}", &channel), "#c-people");
  ok(csdk_community_create_channel(alice, community, "{\"name\":\"c-voice\",\"kind\":\"voice\"}", &voice),
     "a voice channel");
  ok(csdk_client_join_community(bob, community, NULL, &json), "bob joins the people community");
  csdk_string_free(json);
  if (!community || !channel || !voice) goto done;

  /* A direct conversation: a channel of "@me" on the conversation's id. */
  const char *me = csdk_direct_community_id();
  CHECK(strcmp(me, "@me") == 0, "the direct community is @me (got %s)", me);
  ok(csdk_client_direct_conversation(alice, "bob", &dm), "direct_conversation");
  if (!dm) goto done;
  json = NULL;
  csdk_channel_mark_all_read(bob, me, dm, &json); /* the pair's earlier messages, if any */
  csdk_string_free(json);
  ok(csdk_channel_send_text(alice, me, dm, "hi bob, from c", &echo), "alice writes to bob");
  char local_id[80];
  json_str(echo, "local_id", local_id, sizeof local_id);
  csdk_string_free(echo);
  uint64_t seq = 0;
  ok(csdk_client_wait_for_send(alice, local_id, &seq), "the direct message is sent");
  int listed = 0;
  for (int i = 0; i < 300 && !listed; i++) {
    json = NULL;
    listed = csdk_client_conversation_entry(bob, dm, &json) == CSDK_OK && json &&
             json_u64(strstr(json, "\"head\":") ? strstr(json, "\"head\":") : "", "last_seq") == seq;
    if (listed) {
      CHECK(json_u64(json, "unread_count") == 1 && strstr(json, "\"kind\":\"direct\"") &&
                strstr(json, "\"participants\":[\"alice\",\"bob\"]") && strstr(json, "\"community_id\":\"@me\""),
            "bob's entry: one unread, direct, alice and bob: %s", json);
    }
    csdk_string_free(json);
    if (!listed) pause_ms(100);
  }
  CHECK(listed, "bob's list shows the conversation at #%llu", (unsigned long long)seq);
  json = NULL;
  ok(csdk_client_conversations(bob, &json), "conversations");
  CHECK(json && strstr(json, dm), "bob's conversations: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_channel_messages(bob, me, dm, 0, 1, &json), "the conversation's history");
  CHECK(json && strstr(json, "\"sender_id\":\"alice\"") && strstr(json, "\"text\":\"hi bob, from c\""),
        "the message: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_channel_mark_all_read(bob, me, dm, &json), "bob reads it");
  CHECK(json && json_u64(json, "unread_count") == 0, "head: %s", json ? json : "NULL");
  csdk_string_free(json);

  /* Alice blocks bob: his message into their conversation is refused with 4017 blocked. */
  ok(csdk_client_block_user(alice, "bob"), "block_user");
  json = NULL;
  ok(csdk_client_blocked_users(alice, &json), "blocked_users");
  CHECK(json && strcmp(json, "[\"bob\"]") == 0, "blocked: %s", json ? json : "NULL");
  csdk_string_free(json);
  echo = NULL;
  ok(csdk_channel_send_text(bob, me, dm, "are you there?", &echo), "bob's message is queued");
  json_str(echo, "local_id", local_id, sizeof local_id);
  csdk_string_free(echo);
  uint64_t refused = 7;
  int32_t code = csdk_client_wait_for_send(bob, local_id, &refused);
  CHECK(code == CSDK_ERR_BLOCKED && refused == 0, "a message through a block is blocked (got %d)", code);
  char *error = csdk_last_error();
  CHECK(error && strstr(error, "\"name\":\"blocked\"") && strstr(error, "\"kind\":\"permission\""),
        "error JSON: %s", error ? error : "NULL");
  csdk_string_free(error);
  bool discarded = false;
  ok(csdk_channel_discard(bob, me, dm, local_id, &discarded), "discard the refused message");
  ok(csdk_client_unblock_user(alice, "bob"), "unblock_user");

  /* Profiles: alice's display name reaches bob. */
  json = NULL;
  ok(csdk_client_set_profile(alice, "{\"display_name\":\"Alice of C\"}", &json), "set_profile");
  CHECK(json && strstr(json, "\"display_name\":\"Alice of C\""), "profile: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_client_fetch_profiles(bob, "[\"alice\"]", &json), "fetch_profiles");
  CHECK(json && strstr(json, "\"display_name\":\"Alice of C\""), "fetched: %s", json ? json : "NULL");
  csdk_string_free(json);
  char *shown = NULL;
  ok(csdk_client_display_name(bob, "alice", &shown), "display_name");
  CHECK(shown && strcmp(shown, "Alice of C") == 0, "shown as %s", shown ? shown : "NULL");
  csdk_string_free(shown);

  /* Presence: bob follows alice and sees her online. */
  ok(csdk_client_set_presence(alice, "online", "testing c"), "set_presence");
  ok(csdk_client_subscribe_presence(bob, "[\"alice\"]", on_latest, &presence, &presence_sub), "subscribe_presence");
  CHECK(latest_until(&presence, "\"user_id\":\"alice\",\"status\":\"online\"", "\"text\":\"testing c\""),
        "bob sees alice online");
  ok(csdk_client_unsubscribe_presence(bob, "[\"alice\"]"), "unsubscribe_presence");

  /* Typing: throttled on alice's side (the second keystroke is not sent); bob sees her. */
  ok(csdk_channel_subscribe_typing(bob, community, channel, on_latest, &typing, &typing_sub), "subscribe_typing");
  bool sent = false;
  ok(csdk_channel_typing(alice, community, channel, &sent), "typing");
  CHECK(sent, "the first keystroke is sent");
  ok(csdk_channel_typing(alice, community, channel, &sent), "typing again");
  CHECK(!sent, "the next one within typing_interval_ms is not");
  CHECK(latest_until(&typing, "[\"alice\"]", NULL), "bob's typing subscription shows alice");
  json = NULL;
  ok(csdk_channel_typers(bob, community, channel, &json), "typers");
  CHECK(json && strcmp(json, "[\"alice\"]") == 0, "typers: %s", json ? json : "NULL");
  csdk_string_free(json);

  /* Voice: alice sits down in the voice channel; bob's community shows her there. */
  ok(csdk_community_subscribe_voice(bob, community, on_latest, &seated, &voice_sub), "subscribe_voice");
  ok(csdk_channel_join_voice(alice, community, voice), "join_voice");
  CHECK(latest_until(&seated, "\"user_id\":\"alice\"", voice), "bob's voice subscription shows alice");
  json = NULL;
  ok(csdk_community_voice(bob, community, &json), "voice");
  CHECK(json && strstr(json, "\"user_id\":\"alice\"") && strstr(json, voice), "voice: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_channel_voice_participants(alice, community, voice, &json), "voice_participants");
  CHECK(json && strstr(json, "\"user_id\":\"alice\""), "participants: %s", json ? json : "NULL");
  csdk_string_free(json);
  ok(csdk_community_leave_voice(alice, community), "leave_voice");

done:
  /* After these return the callbacks never run again: the `latest` values may go. */
  csdk_subscription_free(presence_sub);
  csdk_subscription_free(typing_sub);
  csdk_subscription_free(voice_sub);
  free(presence.json);
  free(typing.json);
  free(seated.json);
  pthread_mutex_destroy(&presence.lock);
  pthread_mutex_destroy(&typing.lock);
  pthread_mutex_destroy(&seated.lock);
  csdk_string_free(dm);
  csdk_string_free(voice);
  csdk_string_free(channel);
  csdk_string_free(community);
}

static CsdkClient *new_client(const char *url, const char *name) {
  char dir[] = "/tmp/csdk-c-XXXXXX";
  if (!mkdtemp(dir)) return NULL;
  char options[512];
  snprintf(options, sizeof options, "{\"server_url\":\"%s\",\"data_dir\":\"%s/%s\",\"device_id\":\"c-%s\"}", url, dir, name, name);
  CsdkClient *client = NULL;
  ok(csdk_client_new(options, &client), "csdk_client_new");
  return client;
}

/* The first hit object of a SearchResults JSON whose message text is `text`: returns a
 * pointer into `json` at that hit's "snippet" (NULL when absent). Hits list "message"
 * before "snippet" (the record's field order). */
static const char *hit_snippet(const char *json, const char *text) {
  char needle[256];
  snprintf(needle, sizeof needle, "\"text\":\"%s\"", text);
  const char *at = json ? strstr(json, needle) : NULL;
  return at ? strstr(at, "\"snippet\":") : NULL;
}

/* Search: a word and a CJK substring in the cache (the highlight's byte range covers the
 * right bytes of the UTF-8 snippet), a malformed query refused with 5037, the merged search
 * with each message once, channels, communities and members by name. */
static void search(CsdkClient *alice, CsdkClient *bob) {
  char *community = NULL, *channel = NULL, *json = NULL, *echo = NULL;
  ok(csdk_client_create_community(alice, "{\"name\":\"C search\"}", &community), "search community");
  ok(csdk_community_create_channel(alice, community, "{\"name\":\"c-lanterns\"}", &channel), "#c-lanterns");
  ok(csdk_client_join_community(bob, community, NULL, &json), "bob joins the search community");
  csdk_string_free(json);
  json = NULL;
  if (!community || !channel) goto done;
  const char *texts[3] = {"the lantern parade starts at eight", "bring a Lantern and a friend",
                          "\xE6\x98\x8E\xE6\x97\xA5\xE6\x9D\xB1\xE4\xBA\xAC\xE9\x83\xBD\xE3\x81\xAB\xE8\xA1\x8C\xE3\x81\x8D\xE3\x81\xBE\xE3\x81\x99"};
  uint64_t seqs[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    echo = NULL;
    ok(csdk_channel_send_text(alice, community, channel, texts[i], &echo), "send a message to search");
    char local_id[80];
    json_str(echo, "local_id", local_id, sizeof local_id);
    csdk_string_free(echo);
    ok(csdk_client_wait_for_send(alice, local_id, &seqs[i]), "the message to search is sent");
  }

  /* Local: both messages with the word, each highlighted on "lantern" / "Lantern". */
  char options[256];
  snprintf(options, sizeof options, "{\"query\":\"lantern\",\"community_id\":\"%s\"}", community);
  int found = 0;
  for (int i = 0; i < 300 && !found; i++) {
    json = NULL;
    found = csdk_client_search_local(alice, options, &json) == CSDK_OK && hit_snippet(json, texts[0]) &&
            hit_snippet(json, texts[1]);
    if (found) {
      CHECK(strstr(json, "\"server\":{\"type\":\"not_asked\"}") && strstr(json, "\"source\":\"local\""),
            "a local search asks no server: %s", json);
      for (int t = 0; t < 2; t++) {
        const char *snippet = hit_snippet(json, texts[t]);
        char text[256];
        json_str(snippet, "text", text, sizeof text);
        size_t start = json_u64(snippet, "start"), end = json_u64(snippet, "end");
        CHECK(end == start + 7 && end <= strlen(text) && strncasecmp(text + start, "lantern", 7) == 0,
              "the highlight covers the word: %s [%zu, %zu)", text, start, end);
      }
    }
    csdk_string_free(json);
    if (!found) pause_ms(100);
  }
  CHECK(found, "the local search finds both messages with the word");

  /* A CJK substring: in C the byte range indexes the UTF-8 text directly. */
  const char *tokyo = "\xE6\x9D\xB1\xE4\xBA\xAC"; /* 東京 */
  char cjk[256];
  snprintf(cjk, sizeof cjk, "{\"query\":\"%s\",\"channel_id\":\"%s\"}", tokyo, channel);
  json = NULL;
  ok(csdk_client_search_local(alice, cjk, &json), "search a CJK substring");
  const char *snippet = hit_snippet(json, texts[2]);
  char text[256];
  json_str(snippet, "text", text, sizeof text);
  size_t start = json_u64(snippet, "start"), end = json_u64(snippet, "end");
  CHECK(snippet && json_u64(json, "seq") == seqs[2] && start == 6 && end == 12 && strcmp(text, texts[2]) == 0 &&
            memcmp(text + start, tokyo, end - start) == 0,
        "the CJK highlight covers the bytes of the substring: %s", json ? json : "NULL");
  csdk_string_free(json);

  /* A malformed query: CSDK_ERR_INVALID_SEARCH_QUERY, locally and merged. */
  json = NULL;
  int32_t code = csdk_client_search_local(alice, "{\"query\":\"\\\"unclosed\"}", &json);
  CHECK(code == CSDK_ERR_INVALID_SEARCH_QUERY && code == 5037 && json == NULL, "a malformed query is 5037 (got %d)", code);
  char *error = csdk_last_error();
  CHECK(error && strstr(error, "\"name\":\"invalid_search_query\"") && strstr(error, "\"kind\":\"limit\""),
        "the error JSON: %s", error ? error : "NULL");
  csdk_string_free(error);
  code = csdk_channel_search(alice, community, channel, "{\"query\":\"\\\"unclosed\"}", &json);
  CHECK(code == CSDK_ERR_INVALID_SEARCH_QUERY && json == NULL, "merged: 5037 too (got %d)", code);

  /* Merged with the server: each message once (the server's copy). */
  json = NULL;
  ok(csdk_channel_search(alice, community, channel, "{\"query\":\"lantern\"}", &json), "merged search");
  int hits = 0;
  for (const char *at = json; at && (at = strstr(at, "\"snippet\":")) != NULL; at++) hits++;
  CHECK(hits == 2 && hit_snippet(json, texts[0]) && hit_snippet(json, texts[1]) &&
            strstr(json, "\"server\":{\"type\":\"answered\"}"),
        "the merged search holds each message once, the server answered: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  snprintf(cjk, sizeof cjk, "{\"query\":\"%s\"}", tokyo);
  ok(csdk_community_search(bob, community, cjk, &json), "bob's merged search");
  CHECK(json && json_u64(json, "seq") == seqs[2] && strstr(json, "\"source\":\"server\"") &&
            strstr(json, "\"answered\""),
        "bob finds the message through the server: %s", json ? json : "NULL");
  csdk_string_free(json);

  /* Channels, communities and members by name. */
  json = NULL;
  ok(csdk_community_search_channels(alice, community, "LANTERN", &json), "channel search");
  CHECK(json && strstr(json, channel) && strstr(json, "\"name\":\"c-lanterns\"") && strstr(json, "\"answered\""),
        "the channel is found by name: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_client_search_communities(alice, "c sea", &json), "community search");
  CHECK(json && strstr(json, community), "the community is found by name: %s", json ? json : "NULL");
  csdk_string_free(json);
  json = NULL;
  ok(csdk_community_search_members(alice, community, "bo", 0, &json), "member search");
  CHECK(json && json_u64(json, "total_count") == 1 && strstr(json, "\"user_id\":\"bob\""), "bob is found: %s",
        json ? json : "NULL");
  csdk_string_free(json);
  CHECK(CSDK_DEFAULT_SEARCH_LIMIT == 20, "the default page of a search");

done:
  csdk_string_free(community);
  csdk_string_free(channel);
}

int main(void) {
  const char *url = env("CSDK_SERVER_URL");
  CsdkClient *alice = new_client(url, "alice");
  CsdkClient *bob = new_client(url, "bob");
  if (!alice || !bob) {
    printf("0 passed, 1 failed\n");
    return 1;
  }

  CHECK(strcmp(csdk_version(), env("CSDK_EXPECTED_VERSION")) == 0, "csdk_version() %s is the workspace version", csdk_version());

  /* A blocking call with bad arguments fails cleanly with a typed code. */
  CHECK(csdk_client_login(alice, NULL, "x", NULL) == CSDK_ERR_INVALID_ARGUMENT, "NULL user id is invalid_argument");
  char *error = csdk_last_error();
  CHECK(error && strstr(error, "\"kind\":\"limit\""), "last error is JSON with a kind: %s", error ? error : "NULL");
  csdk_string_free(error);

  /* The SDK's log reaches the app through the log bridge. */
  CHECK(csdk_set_log_callback("loud", on_log, NULL) == CSDK_ERR_INVALID_ARGUMENT, "unknown log level refused");
  ok(csdk_set_log_callback("info", on_log, NULL), "set log callback");
  bool offline = true;
  ok(csdk_client_login(alice, "alice", env("CSDK_TOKEN_ALICE"), &offline), "alice login");
  CHECK(!offline, "alice is synced, not offline");
  for (int i = 0; i < 300 && __atomic_load_n(&logins_logged, __ATOMIC_SEQ_CST) == 0; i++) {
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  CHECK(__atomic_load_n(&logins_logged, __ATOMIC_SEQ_CST) >= 1, "the login was logged through the bridge");
  ok(csdk_set_log_callback("info", NULL, NULL), "remove log callback");
  ok(csdk_client_login(bob, "bob", env("CSDK_TOKEN_BOB"), NULL), "bob login");
  char *state = NULL;
  ok(csdk_client_connection_state(alice, &state), "connection state");
  CHECK(state && strstr(state, "\"type\":\"connected\""), "alice connected: %s", state ? state : "NULL");
  csdk_string_free(state);
  char *sync_state = NULL;
  for (int i = 0; i < 300; i++) { /* login returns synced; the catch-up ends right after */
    csdk_string_free(sync_state);
    sync_state = NULL;
    ok(csdk_client_sync_state(alice, &sync_state), "sync state");
    if (sync_state && strcmp(sync_state, "\"caught_up\"") == 0) break;
    nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 10000000L}, NULL);
  }
  CHECK(sync_state && strcmp(sync_state, "\"caught_up\"") == 0, "alice caught up: %s", sync_state ? sync_state : "NULL");
  csdk_string_free(sync_state);

  char *community = NULL;
  ok(csdk_client_create_community(alice, "{\"name\":\"C guild\"}", &community), "create community");
  char *channel = NULL;
  ok(csdk_community_create_channel(alice, community, "{\"name\":\"c-chat\"}", &channel), "create channel");
  if (!community || !channel) {
    printf("%d passed, %d failed\n", passed, failed + 1);
    return 1;
  }
  char *joined = NULL;
  ok(csdk_client_join_community(bob, community, NULL, &joined), "bob joins");
  CHECK(joined && strstr(joined, "\"type\":\"joined\""), "join outcome: %s", joined ? joined : "NULL");
  csdk_string_free(joined);

  /* The server wrote "channel created" into the channel (system messages are on). */
  char *entry = NULL;
  ok(csdk_channel_entry(alice, community, channel, &entry), "channel entry");
  unsigned long long base = json_u64(entry, "last_seq");
  CHECK(base >= 1, "the channel starts with a system message: %s", entry ? entry : "NULL");
  csdk_string_free(entry);

  struct seen seen = {.mask = 0, .calls = 0};
  pthread_mutex_init(&seen.lock, NULL);
  pthread_cond_init(&seen.changed, NULL);
  CsdkSubscription *subscription = NULL;
  ok(csdk_channel_subscribe_messages(bob, community, channel, on_messages, &seen, &subscription), "subscribe");

  for (int i = 0; i < 10; i++) {
    char text[32];
    snprintf(text, sizeof text, "message %d", i);
    char *echo = NULL;
    ok(csdk_channel_send_text(alice, community, channel, text, &echo), "send");
    CHECK(echo && strstr(echo, "\"local_id\":"), "local echo: %s", echo ? echo : "NULL");
    if (i == 9 && echo) { /* the last send, awaited to its end by its local id */
      char local_id[80];
      json_str(echo, "local_id", local_id, sizeof local_id);
      uint64_t seq = 0;
      ok(csdk_client_wait_for_send(alice, local_id, &seq), "wait_for_send");
      CHECK(seq == base + 10, "the tenth message is sent as #%llu (got %llu)", base + 10, (unsigned long long)seq);
      uint64_t unknown = 7;
      CHECK(csdk_client_wait_for_send(alice, "no-such-id", &unknown) == CSDK_ERR_MESSAGE_NOT_FOUND && unknown == 0,
            "an unknown local id is message_not_found");
    }
    csdk_string_free(echo);
  }

  struct timespec deadline;
  deadline_in(&deadline, 30);
  pthread_mutex_lock(&seen.lock);
  while (seen.mask != 0x3ffu) {
    if (pthread_cond_timedwait(&seen.changed, &seen.lock, &deadline) != 0) break;
  }
  unsigned mask = seen.mask;
  pthread_mutex_unlock(&seen.lock);
  CHECK(mask == 0x3ffu, "the callback saw all 10 messages (mask %x)", mask);
  csdk_subscription_free(subscription); /* after this, `seen` may go away */

  /* Unread: 10, then 0 after mark_read. Bounded polling: counts arrive with the events. */
  unsigned long long unread = 0, last_seq = 0;
  for (int i = 0; i < 300 && unread != 10; i++) {
    char *json = NULL;
    if (csdk_channel_unread(bob, community, channel, &json) == CSDK_OK) {
      unread = json_u64(json, "unread_count");
      last_seq = json_u64(json, "last_seq");
    }
    csdk_string_free(json);
    if (unread != 10) nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 100000000L}, NULL);
  }
  CHECK(unread == 10, "bob has 10 unread (got %llu)", unread);
  char *head = NULL;
  ok(csdk_channel_mark_read(bob, community, channel, last_seq, &head), "mark_read");
  CHECK(head && json_u64(head, "unread_count") == 0 && json_u64(head, "read_seq") == last_seq,
        "head after mark_read: %s", head ? head : "NULL");
  csdk_string_free(head);
  char *after = NULL;
  ok(csdk_channel_unread(bob, community, channel, &after), "unread after");
  CHECK(after && json_u64(after, "unread_count") == 0, "unread is 0: %s", after ? after : "NULL");
  csdk_string_free(after);

  /* History page in one call. */
  char *page = NULL;
  ok(csdk_channel_messages(bob, community, channel, 0, 100, &page), "messages page");
  int count = 0;
  for (const char *at = page; at && (at = strstr(at, "\"text\":\"message ")) != NULL; at++) count++;
  CHECK(count == 10, "history page holds the 10 messages (got %d)", count);
  csdk_string_free(page);

  message_life(alice, bob, community, channel);
  roles(alice, bob);
  threads(alice, bob);
  people(alice, bob);
  search(alice, bob);

  /* A 301-character name is a typed limit error: 5000 name_too_long. */
  char params[400] = "{\"name\":\"";
  size_t len = strlen(params);
  memset(params + len, 'x', 301);
  strcpy(params + len + 301, "\"}");
  char *none = NULL;
  int32_t code = csdk_client_create_community(alice, params, &none);
  CHECK(code == CSDK_ERR_NAME_TOO_LONG, "name too long gives 5000 (got %d)", code);
  CHECK(none == NULL, "no result on failure");
  error = csdk_last_error();
  char name[64];
  json_str(error, "name", name, sizeof name);
  CHECK(strcmp(name, "name_too_long") == 0 && json_u64(error, "code") == 5000, "error JSON: %s", error ? error : "NULL");
  csdk_string_free(error);

  /* Members page, whole, in one call. */
  char *members = NULL;
  ok(csdk_community_members(alice, community, NULL, NULL, 0, &members), "members");
  CHECK(members && json_u64(members, "total_count") == 2, "two members: %s", members ? members : "NULL");
  csdk_string_free(members);

  /* Categories: created on the server, then read from the cache. */
  char *category = NULL;
  ok(csdk_community_create_category(alice, community, "Lobby", -1, &category), "create category");
  CHECK(category && strstr(category, "\"name\":\"Lobby\""), "category JSON: %s", category ? category : "NULL");
  csdk_string_free(category);
  char *categories = NULL;
  ok(csdk_community_categories(alice, community, &categories), "categories");
  CHECK(categories && strstr(categories, "\"Lobby\""), "cached categories: %s", categories ? categories : "NULL");
  csdk_string_free(categories);

  csdk_string_free(community);
  csdk_string_free(channel);
  pthread_cond_destroy(&seen.changed);
  pthread_mutex_destroy(&seen.lock);
  /* close returns once everything is shut; later calls fail with `closed`. */
  ok(csdk_client_close(alice), "close");
  char *after_close = NULL;
  CHECK(csdk_client_outbox(alice, &after_close) == CSDK_ERR_CLOSED && after_close == NULL, "calls after close fail: closed");
  csdk_client_free(alice);
  csdk_client_free(bob);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

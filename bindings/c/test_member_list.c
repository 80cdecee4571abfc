/* The member list (protocol §22.2) in C against a real community-server (started by
 * tests/bindings.sh: CSDK_SERVER_URL, CSDK_TOKEN_ALICE, CSDK_TOKEN_BOB, CSDK_TOKEN_CAROL).
 * Three members, carol in a group and offline: the first update is a reset in the
 * documented order (highest group first, online before offline, then name) with the total
 * and sections; bob's nickname arrives as a "changed" update with operations, and the
 * snapshot shows him moved; set_ranges brings a new reset; bad ranges fail with
 * CSDK_ERR_INVALID_MEMBER_LIST_RANGE (5038). Prints "N passed, N failed". Kept
 * valgrind-clean. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "community_sdk.h"

static int passed, failed;

#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      passed++;                                   \
    } else {                                      \
      failed++;                                   \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

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

static void pause_ms(long ms) {
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

static CsdkClient *login(const char *url, const char *name, const char *token) {
  char dir[] = "/tmp/csdk-c-ml-XXXXXX";
  if (!mkdtemp(dir)) return NULL;
  char options[512];
  snprintf(options, sizeof options, "{\"server_url\":\"%s\",\"data_dir\":\"%s/%s\",\"device_id\":\"c-ml-%s\"}", url, dir, name, name);
  CsdkClient *client = NULL;
  if (!ok(csdk_client_new(options, &client), "csdk_client_new")) return NULL;
  ok(csdk_client_login(client, name, token, NULL), name);
  return client;
}

/* What the member list callback saw: the last reset and the number of changes with
 * operations. */
struct updates {
  pthread_mutex_t lock;
  char *reset;
  int resets;
  int changes_with_ops;
};

static void on_member_list(void *user_data, const char *json) {
  struct updates *u = user_data;
  pthread_mutex_lock(&u->lock);
  if (strncmp(json, "{\"type\":\"reset\"", 15) == 0) {
    free(u->reset);
    u->reset = strdup(json);
    u->resets++;
  } else if (strncmp(json, "{\"type\":\"changed\"", 17) == 0 && strstr(json, "\"ops\":[{")) {
    u->changes_with_ops++;
  }
  pthread_mutex_unlock(&u->lock);
}

/* The position of `user`'s item in json, or -1. */
static long at(const char *json, const char *user) {
  char needle[64];
  snprintf(needle, sizeof needle, "\"user_id\":\"%s\"", user);
  const char *hit = json ? strstr(json, needle) : NULL;
  return hit ? hit - json : -1;
}

/* Whether json shows the users in this order. */
static int in_order(const char *json, const char *a, const char *b, const char *c) {
  long x = at(json, a), y = at(json, b), z = c ? at(json, c) : y + 1;
  return x >= 0 && y > x && z > y;
}

/* The reset seen after `resets` earlier ones (a copy the caller frees), waiting ≤ 30 s. */
static char *reset_after(struct updates *u, int resets) {
  for (int i = 0; i < 300; i++) {
    pthread_mutex_lock(&u->lock);
    char *json = u->resets > resets ? strdup(u->reset) : NULL;
    pthread_mutex_unlock(&u->lock);
    if (json) return json;
    pause_ms(100);
  }
  return NULL;
}

int main(void) {
  const char *url = env("CSDK_SERVER_URL");
  CsdkClient *alice = login(url, "alice", env("CSDK_TOKEN_ALICE"));
  CsdkClient *bob = login(url, "bob", env("CSDK_TOKEN_BOB"));
  CsdkClient *carol = login(url, "carol", env("CSDK_TOKEN_CAROL"));
  char *community = NULL;
  char *group = NULL;
  if (!alice || !bob || !carol ||
      !ok(csdk_client_create_community(alice, "{\"name\":\"C member list\",\"join_policy\":\"free\"}", &community),
          "create community")) {
    printf("%d passed, %d failed\n", passed, failed + 1);
    return 1;
  }
  char *joined = NULL;
  ok(csdk_client_join_community(bob, community, NULL, &joined), "bob joins");
  csdk_string_free(joined);
  joined = NULL;
  ok(csdk_client_join_community(carol, community, NULL, &joined), "carol joins");
  csdk_string_free(joined);
  ok(csdk_community_create_group(alice, community, "{\"name\":\"Mods\",\"color\":0,\"mentionable\":false,\"permissions\":0}", &group),
     "create group");
  char group_id[64] = "";
  const char *gid = group ? strstr(group, "\"group_id\":\"") : NULL;
  if (gid) sscanf(gid + strlen("\"group_id\":\""), "%63[^\"]", group_id);
  char *member = NULL;
  ok(csdk_community_assign_group(alice, community, "carol", group_id, &member), "carol is a mod");
  csdk_string_free(member);
  ok(csdk_client_close(carol), "carol goes offline");

  struct updates u = {.reset = NULL};
  pthread_mutex_init(&u.lock, NULL);
  CsdkSubscription *sub = NULL;
  ok(csdk_community_subscribe_member_list(alice, community, "[{\"start\":0,\"end\":9}]", on_member_list, &u, &sub),
     "subscribe_member_list");
  char *reset = reset_after(&u, 0);
  CHECK(reset && strstr(reset, "\"total\":3"), "reset with the total: %s", reset ? reset : "NULL");
  CHECK(reset && in_order(reset, "carol", "alice", "bob"), "group first, then online by name: %s", reset ? reset : "NULL");
  char section[128];
  snprintf(section, sizeof section, "\"sections\":[{\"group_id\":\"%s\",\"count\":1", group_id);
  CHECK(reset && strstr(reset, section) && strstr(reset, "{\"group_id\":null,\"count\":2"), "sections: %s",
        reset ? reset : "NULL");
  free(reset);

  /* Bob's nickname moves him before alice: "changed" with operations; the snapshot has them applied. */
  member = NULL;
  ok(csdk_community_set_nickname(bob, community, "Aaron", &member), "bob's nickname");
  csdk_string_free(member);
  char *snapshot = NULL;
  for (int i = 0; i < 300; i++) {
    csdk_string_free(snapshot);
    snapshot = NULL;
    ok(csdk_community_member_list_snapshot(alice, community, &snapshot), "snapshot");
    if (snapshot && in_order(snapshot, "carol", "bob", "alice")) break;
    pause_ms(100);
  }
  CHECK(snapshot && in_order(snapshot, "carol", "bob", "alice") && strstr(snapshot, "\"display_name\":\"Aaron\""),
        "the snapshot after the operations: %s", snapshot ? snapshot : "NULL");
  csdk_string_free(snapshot);
  /* The snapshot is the SDK's state; the listener hears of it on the SDK's thread, maybe a
     moment later: wait for the call (≤ 30 s). */
  int changes = 0, resets = 0;
  for (int i = 0; i < 300; i++) {
    pthread_mutex_lock(&u.lock);
    changes = u.changes_with_ops;
    resets = u.resets;
    pthread_mutex_unlock(&u.lock);
    if (changes >= 1) break;
    pause_ms(100);
  }
  CHECK(changes >= 1, "the move arrived as operations (%d changes, %d resets)", changes, resets);

  /* Scrolling: a new reset with the new window. */
  ok(csdk_community_set_member_list_ranges(alice, community, "[{\"start\":1,\"end\":2}]"), "set_ranges");
  reset = reset_after(&u, resets);
  CHECK(reset && strstr(reset, "\"range\":{\"start\":1,\"end\":2}") && in_order(reset, "bob", "alice", NULL) &&
            at(reset, "carol") < 0,
        "the new window: %s", reset ? reset : "NULL");
  free(reset);

  /* Bad ranges: the typed code, from both calls; the subscription stays. */
  CHECK(csdk_community_set_member_list_ranges(alice, community, "[{\"start\":5,\"end\":1}]") ==
            CSDK_ERR_INVALID_MEMBER_LIST_RANGE,
        "start after end is 5038");
  char *error = csdk_last_error();
  CHECK(error && strstr(error, "\"name\":\"invalid_member_list_range\""), "last error: %s", error ? error : "NULL");
  csdk_string_free(error);
  CsdkSubscription *refused = NULL;
  CHECK(csdk_community_subscribe_member_list(alice, community, "[{\"start\":0,\"end\":100000}]", on_member_list, &u,
                                             &refused) == CSDK_ERR_INVALID_MEMBER_LIST_RANGE &&
            refused == NULL,
        "a range too long is 5038");
  snapshot = NULL;
  ok(csdk_community_member_list_snapshot(alice, community, &snapshot), "still followed");
  csdk_string_free(snapshot);

  csdk_subscription_free(sub);
  CHECK(csdk_community_member_list_snapshot(alice, community, &snapshot) == CSDK_ERR_INVALID_ARGUMENT,
        "no snapshot once freed");
  csdk_string_free(csdk_last_error());
  free(u.reset);
  pthread_mutex_destroy(&u.lock);
  csdk_string_free(group);
  csdk_string_free(community);
  ok(csdk_client_close(alice), "close alice");
  ok(csdk_client_close(bob), "close bob");
  csdk_client_free(alice);
  csdk_client_free(bob);
  csdk_client_free(carol);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

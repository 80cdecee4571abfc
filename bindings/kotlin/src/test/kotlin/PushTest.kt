// Push tokens (protocol §23.1) in Kotlin against the server of tests/bindings.sh:
// registering succeeds (also before logging in), a bad token is the typed error 5039
// invalid_push_token, unregistering succeeds, the platform names round-trip, and logout
// (which unregisters the token) still works. Called from BindingsTest.kt's scenario.
import dev.community.sdk.*
import java.nio.file.Path

/** The wire name of each platform (protocol §15 `register_push_token`). */
val pushWireNames = mapOf(
    PushPlatform.APNS to "apns",
    PushPlatform.APNS_SANDBOX to "apns_sandbox",
    PushPlatform.FCM to "fcm",
    PushPlatform.HMS to "hms",
    PushPlatform.WEB_PUSH to "web_push",
    PushPlatform.OTHER to "other",
)

suspend fun pushScenario(base: Path, url: String) {
    lateinit var client: Client

    test("push: a token registered before login, then every platform") {
        client = Client.create(ClientOptions(serverUrl = url, dataDir = "$base/alice", deviceId = "kt-push"))
        client.registerPushToken(PushPlatform.FCM, "kt-fcm-early")
        val outcome = client.login("alice", env("CSDK_TOKEN_ALICE"))
        check(outcome == LoginOutcome.SYNCED) { "login outcome $outcome" }
        check(client.limits().pushTokenBytes == 1024uL) { "limits ${client.limits().pushTokenBytes}" }
        for (platform in PushPlatform.values()) client.registerPushToken(platform, "kt-${platform.name.lowercase()}")
        client.registerPushToken(PushPlatform.APNS_SANDBOX, "kt-apns")
        client.registerPushToken(PushPlatform.APNS_SANDBOX, "kt-apns") // again: free
    }

    test("push: a bad token is invalid_push_token (5039)") {
        for (bad in listOf("", " padded", "tab\there", "x".repeat(1025))) {
            try {
                client.registerPushToken(PushPlatform.FCM, bad)
                throw AssertionError("no error for '$bad'")
            } catch (e: SdkException.Limit) {
                check(e.code == 5039u && e.name == "invalid_push_token") { "error $e" }
            }
        }
        try {
            client.unregisterPushToken("")
            throw AssertionError("no error")
        } catch (e: SdkException) {
            check(e.code == 5039u) { "error $e" }
        }
    }

    test("push: unregister, then logout unregisters the last token") {
        client.unregisterPushToken("kt-apns")
        client.unregisterPushToken("never-registered")
        client.registerPushToken(PushPlatform.HMS, "kt-hms-last")
        client.logout()
        client.shutdown()
        client.close()
    }

    test("push: platform names round-trip") {
        check(PushPlatform.values().size == 6) { "platforms ${PushPlatform.values().toList()}" }
        for ((platform, wire) in pushWireNames) {
            check(platform.name.lowercase() == wire) { "$platform is not $wire" }
            check(PushPlatform.valueOf(wire.uppercase()) == platform) { "$wire does not parse" }
        }
    }
}

"""Push tokens (protocol §23.1) in Python against a real community-server started by
tests/bindings.sh (CSDK_SERVER_URL, CSDK_TOKEN_ALICE): registering succeeds (also before
logging in), a bad token is the typed error 5039 invalid_push_token, unregistering
succeeds, the platform names round-trip, and logout (which unregisters) still works."""

import os
import tempfile
import unittest

import community_sdk as sdk

WIRE_NAMES = {
    sdk.PushPlatform.APNS: "apns",
    sdk.PushPlatform.APNS_SANDBOX: "apns_sandbox",
    sdk.PushPlatform.FCM: "fcm",
    sdk.PushPlatform.HMS: "hms",
    sdk.PushPlatform.WEB_PUSH: "web_push",
    sdk.PushPlatform.OTHER: "other",
}


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest(f"{name} is not set (run tests/bindings.sh)")
    return value


class PushTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.url = env("CSDK_SERVER_URL")
        self.dir = tempfile.TemporaryDirectory(prefix="csdk-python-push-")

    async def asyncTearDown(self):
        self.dir.cleanup()

    async def test_register_refuse_unregister_and_platforms(self):
        options = sdk.ClientOptions(
            server_url=self.url, data_dir=os.path.join(self.dir.name, "alice"), device_id="py-push"
        )
        client = await sdk.Client.create(options)
        # Before logging in: kept, sent once logged in.
        await client.register_push_token(sdk.PushPlatform.FCM, "py-fcm-early")
        self.assertEqual(await client.login("alice", env("CSDK_TOKEN_ALICE")), sdk.LoginOutcome.SYNCED)
        self.assertEqual(client.limits().push_token_bytes, 1024)

        # Every platform is accepted; the last one stays the device's token.
        for platform in WIRE_NAMES:
            await client.register_push_token(platform, f"py-{platform.name.lower()}")
        await client.register_push_token(sdk.PushPlatform.APNS_SANDBOX, "py-apns")
        await client.register_push_token(sdk.PushPlatform.APNS_SANDBOX, "py-apns")  # again: free

        for bad in ["", " padded", "tab\there", "x" * 1025]:
            with self.assertRaises(sdk.SdkError.Limit) as caught:
                await client.register_push_token(sdk.PushPlatform.FCM, bad)
            self.assertEqual((caught.exception.code, caught.exception.name), (5039, "invalid_push_token"))
        with self.assertRaises(sdk.SdkError) as caught:
            await client.unregister_push_token("")
        self.assertEqual(sdk.error_code(caught.exception), 5039)

        await client.unregister_push_token("py-apns")
        await client.unregister_push_token("never-registered")  # unknown: no error
        await client.register_push_token(sdk.PushPlatform.HMS, "py-hms-last")
        await client.logout()  # unregisters it first
        await client.shutdown()

    def test_platform_names_round_trip(self):
        self.assertEqual(len(list(sdk.PushPlatform)), 6)
        for platform, wire in WIRE_NAMES.items():
            self.assertEqual(platform.name.lower(), wire)
            self.assertIs(sdk.PushPlatform[wire.upper()], platform)


if __name__ == "__main__":
    unittest.main()

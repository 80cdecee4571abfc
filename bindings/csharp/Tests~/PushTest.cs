// Push tokens (protocol §23.1) in C# (Mono) against the server of tests/csharp.sh
// (CSDK_SERVER_URL, CSDK_TOKEN_ALICE): a token registered before login is accepted (sent
// once logged in); every PushPlatform registers; bad tokens fail with SdkException 5039
// (ErrorCodes.InvalidPushToken); unregistering succeeds; logout (which unregisters the
// token) still works; the platform names round-trip. Prints "N passed, N failed".

using System;
using System.IO;
using System.Linq;
using System.Text;
using CommunitySdk;

internal static class PushTest
{
    private static int passed, failed;

    private static void Check(bool condition, string what)
    {
        if (condition)
        {
            passed++;
        }
        else
        {
            failed++;
            Console.WriteLine("FAIL " + what);
        }
    }

    private static string Env(string name)
    {
        string value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(value))
        {
            Console.Error.WriteLine("missing environment variable " + name);
            Environment.Exit(2);
        }
        return value;
    }

    /// <summary>The wire name of a platform: its name in snake_case (ApnsSandbox: apns_sandbox).</summary>
    private static string Wire(PushPlatform platform)
    {
        var name = platform.ToString();
        var wire = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i])) wire.Append('_');
            wire.Append(char.ToLowerInvariant(name[i]));
        }
        return wire.ToString();
    }

    private static int Main()
    {
        try
        {
            Run();
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL " + e);
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        Console.Out.Flush();
        // Without Mono's shutdown, which waits for the SDK's callback thread (see BindingsTest.ExitNow).
        NativeExit(failed == 0 ? 0 : 1);
        return failed == 0 ? 0 : 1;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
    private static extern void NativeExit(int code);

    private static void Run()
    {
        Check(!string.IsNullOrEmpty(Sdk.Version), "a version");
        var platforms = Enum.GetValues(typeof(PushPlatform)).Cast<PushPlatform>().ToArray();
        Check(string.Join(",", platforms.Select(Wire)) == "apns,apns_sandbox,fcm,hms,web_push,other",
            "the platform names: " + string.Join(",", platforms.Select(Wire)));

        string dir = Path.Combine(Path.GetTempPath(), "csdk-cs-push-" + Guid.NewGuid().ToString("N"), "alice");
        var client = Client.Create(new ClientOptions { ServerUrl = Env("CSDK_SERVER_URL"), DataDir = dir, DeviceId = "cs-push" });
        // Before login: kept, sent once logged in.
        client.RegisterPushTokenAsync(PushPlatform.Fcm, "cs-fcm-early").Wait();
        client.LoginAsync("alice", Env("CSDK_TOKEN_ALICE")).Wait();
        Check(client.Limits().PushTokenBytes == 1024, "push_token_bytes");

        foreach (var platform in platforms)
        {
            client.RegisterPushTokenAsync(platform, "cs-" + Wire(platform)).Wait();
            passed++;
        }
        client.RegisterPushTokenAsync(PushPlatform.ApnsSandbox, "cs-apns").Wait();
        client.RegisterPushTokenAsync(PushPlatform.ApnsSandbox, "cs-apns").Wait(); // again: free

        foreach (var bad in new[] { "", " padded", "tab\there", new string('x', 1025) })
        {
            var error = Failure(() => client.RegisterPushTokenAsync(PushPlatform.Fcm, bad).Wait());
            Check(error != null && error.Code == ErrorCodes.InvalidPushToken && error.Name == "invalid_push_token",
                "a bad token: " + error);
        }
        var refused = Failure(() => client.UnregisterPushTokenAsync("").Wait());
        Check(refused != null && refused.Code == 5039, "unregistering an empty token: " + refused);

        client.UnregisterPushTokenAsync("cs-apns").Wait();
        client.UnregisterPushTokenAsync("never-registered").Wait();
        client.RegisterPushTokenAsync(PushPlatform.Hms, "cs-hms-last").Wait();
        client.LogoutAsync().Wait();
        passed++;
        client.Shutdown();
    }

    private static SdkException Failure(Action call)
    {
        try
        {
            call();
            return null;
        }
        catch (AggregateException e)
        {
            return e.InnerException as SdkException;
        }
        catch (SdkException e)
        {
            return e;
        }
    }
}

package io.bitnet4j.hub;

/** A separate process that resolves one model with the environment's settings and prints the path (or the error). */
public final class ResolveMain {
    public static void main(String[] args) {
        try {
            System.out.println(ModelSource.parse(args[0]).resolve(HubOptions.fromEnvironment()));
        } catch (HubException e) {
            System.out.println("error: " + e.kind() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}

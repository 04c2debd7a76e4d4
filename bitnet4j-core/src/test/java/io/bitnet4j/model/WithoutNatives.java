package io.bitnet4j.model;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Collections;
import java.util.Enumeration;

/**
 * A class loader over the given jars that hides the platform's native libraries (JavaCPP finds them as resources):
 * the fallback tests load the core in it as a user without the natives would.
 */
final class WithoutNatives extends URLClassLoader {
    private final String platformDir;

    WithoutNatives(URL[] urls, String platform) {
        super(urls, ClassLoader.getPlatformClassLoader());
        this.platformDir = "/" + platform + "/";
    }

    @Override
    public URL findResource(String name) {
        return ("/" + name).contains(platformDir) ? null : super.findResource(name);
    }

    @Override
    public Enumeration<URL> findResources(String name) throws IOException {
        return ("/" + name).contains(platformDir) ? Collections.emptyEnumeration() : super.findResources(name);
    }
}

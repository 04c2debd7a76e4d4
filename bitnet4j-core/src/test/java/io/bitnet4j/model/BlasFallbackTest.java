package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/**
 * Where OpenBLAS cannot be used, BlasAttention still initializes and says why, AUTO runs attention in Java and says
 * why, and OPENBLAS is refused when the options are built, with that reason. Each case loads the core's classes
 * afresh in a class loader that lacks something (static state is per class loader): the OpenBLAS jars, as for a
 * consumer of bitnet4j-core (the dependency is optional); or the platform's OpenBLAS natives.
 */
class BlasFallbackTest {
    private static final URL CORE = BlasAttention.class.getProtectionDomain().getCodeSource().getLocation();
    private static final URL JAVACPP = Loader.class.getProtectionDomain().getCodeSource().getLocation();

    @Test
    void withoutTheOpenBlasJarsAutoRunsJava() throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {CORE, JAVACPP}, ClassLoader.getPlatformClassLoader())) {
            String reason = assertFallsBack(loader);
            assertTrue(reason.startsWith("OpenBLAS (org.bytedeco:openblas) is not on the class path"), reason);
        }
    }

    @Test
    void withoutThePlatformNativesAutoRunsJava() throws Exception {
        URL[] urls = {CORE, JAVACPP, jarOf("org.bytedeco.openblas.global.openblas_nolapack"), jarOf("org.bytedeco.openblas.presets.openblas_nolapack")};
        try (URLClassLoader loader = new WithoutNatives(urls, Loader.getPlatform())) {
            String reason = assertFallsBack(loader);
            assertTrue(reason.startsWith("OpenBLAS for " + Loader.getPlatform() + " could not be loaded"), reason);
        }
    }

    private static URL jarOf(String className) throws ClassNotFoundException {
        return Class.forName(className, false, BlasFallbackTest.class.getClassLoader()).getProtectionDomain().getCodeSource().getLocation();
    }

    /** In loader: a reason, AUTO resolved to JAVA with the reason in the description, OPENBLAS refused with it. */
    private static String assertFallsBack(ClassLoader loader) throws ReflectiveOperationException {
        Class<?> blas = Class.forName(BlasAttention.class.getName(), true, loader);
        Method unavailable = blas.getDeclaredMethod("unavailableReason");
        unavailable.setAccessible(true);
        String reason = (String) unavailable.invoke(null);
        assertNotNull(reason, "OpenBLAS loaded where it should not have");

        Class<?> model = Class.forName(Model.class.getName(), true, loader);
        Class<?> options = Class.forName(Model.Options.class.getName(), true, loader);
        Class<?> kernel = Class.forName(AttentionKernel.class.getName(), true, loader);
        Object defaults = options.getMethod("defaults").invoke(null);
        Method resolve = model.getDeclaredMethod("attentionKernel", options), describe = model.getDeclaredMethod("attentionDescription", options);
        resolve.setAccessible(true);
        describe.setAccessible(true);
        assertEquals("JAVA", ((Enum<?>) resolve.invoke(null, defaults)).name(), "AUTO without OpenBLAS");
        assertEquals("java (OpenBLAS off: " + reason + ")", describe.invoke(null, defaults));

        Object builder = options.getMethod("builder").invoke(null);
        Object openblas = kernel.getMethod("parse", String.class).invoke(null, "openblas");
        builder.getClass().getMethod("attentionKernel", kernel).invoke(builder, openblas);
        try {
            builder.getClass().getMethod("build").invoke(builder);
            throw new AssertionError("the openblas attention kernel was accepted without OpenBLAS");
        } catch (InvocationTargetException e) {
            assertTrue(e.getCause() instanceof UnsupportedOperationException, "expected UnsupportedOperationException, got " + e.getCause());
            assertEquals("the openblas attention kernel cannot run here: " + reason, e.getCause().getMessage());
        }
        return reason;
    }
}

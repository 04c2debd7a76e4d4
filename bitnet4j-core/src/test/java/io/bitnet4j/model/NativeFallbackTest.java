package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.kernels.NativeBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/**
 * Where the native library cannot load, NativeBackend still initializes and says why, and Backend.AUTO runs on the
 * Vector API with one log line giving that reason. Each case loads the core's classes afresh in a class loader
 * that lacks something (static state, the loaded library included, is per class loader): JavaCPP itself, as on a
 * Spark executor whose system class path held bitnet4j-core while JavaCPP came with the job; or the platform's
 * natives.
 */
class NativeFallbackTest {
    private static final URL CORE = NativeBackend.class.getProtectionDomain().getCodeSource().getLocation();
    private static final URL JAVACPP = Loader.class.getProtectionDomain().getCodeSource().getLocation();

    @Test
    void withoutJavaCppAutoRunsOnTheVectorApi() throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {CORE}, ClassLoader.getPlatformClassLoader())) {
            String reason = assertFallsBack(loader);
            assertTrue(reason.startsWith("JavaCPP (org.bytedeco:javacpp") && reason.contains("NoClassDefFoundError: org/bytedeco/javacpp/Loader"), reason);
        }
    }

    @Test
    void withoutThePlatformNativesAutoRunsOnTheVectorApi() throws Exception {
        try (URLClassLoader loader = new WithoutNatives(new URL[] {CORE, JAVACPP}, Loader.getPlatform())) {
            String reason = assertFallsBack(loader);
            assertTrue(reason.startsWith("no native kernel library for " + Loader.getPlatform()), reason);
        }
    }

    /**
     * NativeBackend of loader initializes without error and gives a reason, its native-only calls fail with that
     * reason, and Model.kernels(AUTO) is the Vector API, logged once for two models.
     */
    private static String assertFallsBack(ClassLoader loader) throws ReflectiveOperationException {
        Class<?> backend = Class.forName(NativeBackend.class.getName(), true, loader);
        String reason = (String) backend.getMethod("unavailableReason").invoke(null);
        assertNotNull(reason, "the native library loaded where it should not have");
        assertEquals(List.of(), backend.getMethod("allIsas").invoke(null));
        assertEquals(false, backend.getMethod("supports", String.class).invoke(null, "scalar"));
        var e = assertThrowsCause(UnsupportedOperationException.class, () -> backend.getMethod("bestIsa").invoke(null));
        assertEquals(reason, e.getMessage());

        Class<?> model = Class.forName(Model.class.getName(), true, loader);
        Object defaults = Class.forName(Model.Options.class.getName(), true, loader).getMethod("defaults").invoke(null);
        Method kernels = model.getDeclaredMethod("kernels", defaults.getClass());
        kernels.setAccessible(true);
        List<LogRecord> records = new ArrayList<>();
        Logger log = Logger.getLogger("io.bitnet4j");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(capture);
        try {
            assertEquals("vector", name(kernels.invoke(null, defaults)));
            assertEquals("vector", name(kernels.invoke(null, defaults)), "a second model");
        } finally {
            log.removeHandler(capture);
        }
        assertEquals(1, records.size(), "one log line for the fallback: " + records);
        String line = records.getFirst().getMessage();
        assertTrue(line.contains("using the Vector API backend") && line.contains(reason), line);
        return reason;
    }

    /** Kernels.name() of a Kernels from another class loader. */
    private static String name(Object kernels) throws ReflectiveOperationException {
        return (String) kernels.getClass().getMethod("name").invoke(kernels);
    }

    private static <T extends Throwable> T assertThrowsCause(Class<T> type, ReflectiveCall call) {
        try {
            call.run();
        } catch (InvocationTargetException e) {
            assertTrue(type.isInstance(e.getCause()), "expected " + type.getName() + ", got " + e.getCause());
            return type.cast(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected " + type.getName() + ", nothing thrown");
    }

    private interface ReflectiveCall {
        void run() throws ReflectiveOperationException;
    }
}

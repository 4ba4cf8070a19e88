package io.zmesh.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module arrows of docs/architecture.md, checked on the classes of every module's main code:
 * a class may use only classes of its own module and of the modules below it. A new pom
 * dependency would let the compiler accept an import against the arrows; this test does not.
 */
class LayeringTest {
  /** Each module and the zmesh modules its main code may use. */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      "proto", Set.of(),
      "core", Set.of("proto"),
      "worker-sdk", Set.of("core", "proto"),
      "broker", Set.of("core", "proto"),
      "supervisor", Set.of("broker", "core", "proto"),
      "metrics", Set.of("broker", "core", "proto"),
      "bench", Set.of("broker", "supervisor", "worker-sdk", "core", "proto"),
      "testing", Set.of("broker", "worker-sdk", "core", "proto"),
      "cli", Set.of("broker", "supervisor", "metrics", "worker-sdk", "bench", "core", "proto"),
      "samples", Set.of("worker-sdk", "core", "proto"));

  /** Packages that are not API, and the modules allowed to use them besides their own. */
  private static final Map<String, Set<String>> INTERNAL = Map.of(
      "io.zmesh.worker.internal", Set.of(),
      "io.zmesh.core.internal", Set.of("worker-sdk", "broker", "supervisor", "bench", "testing"),
      "io.zmesh.core.transport", Set.of("worker-sdk", "broker", "bench", "testing"));

  /** A jar of the local repository or the reactor, or a module's target/classes. */
  private static final Pattern JAR = Pattern.compile("/zmesh-([a-z-]+?)-\\d[^/]*\\.jar");
  private static final Pattern CLASSES = Pattern.compile("/([a-z-]+)/target/classes/");

  private static JavaClasses classes;

  @BeforeAll
  static void importEveryModule() {
    classes = new ClassFileImporter().importPackages("io.zmesh");
  }

  @Test
  void everyModuleIsSeen() {
    Set<String> seen = new TreeSet<>();
    for (JavaClass c : classes) {
      module(c).ifPresent(seen::add);
    }
    assertEquals(new TreeSet<>(ALLOWED.keySet()), seen,
        "the classes of each module must be on this test's class path");
  }

  @Test
  void dependenciesPointDown() {
    List<String> wrong = new ArrayList<>();
    for (JavaClass c : classes) {
      Optional<String> from = module(c);
      if (from.isEmpty()) {
        continue;
      }
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        Optional<String> to = module(d.getTargetClass());
        if (to.isPresent() && !to.get().equals(from.get())
            && !ALLOWED.get(from.get()).contains(to.get())) {
          wrong.add(from.get() + " -> " + to.get() + ": " + d.getDescription());
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", new TreeSet<>(wrong)));
  }

  @Test
  void internalPackagesStayInside() {
    List<String> wrong = new ArrayList<>();
    for (JavaClass c : classes) {
      Optional<String> from = module(c);
      if (from.isEmpty()) {
        continue;
      }
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        JavaClass target = d.getTargetClass();
        Set<String> allowed = INTERNAL.get(target.getPackageName());
        Optional<String> to = module(target);
        if (allowed != null && to.isPresent() && !to.equals(from)
            && !allowed.contains(from.get())) {
          wrong.add(from.get() + " uses " + target.getPackageName() + ": " + d.getDescription());
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", new TreeSet<>(wrong)));
  }

  private static Optional<String> module(JavaClass c) {
    return c.getSource().map(source -> {
      String uri = source.getUri().toString();
      Matcher jar = JAR.matcher(uri);
      if (jar.find()) {
        return jar.group(1);
      }
      Matcher dir = CLASSES.matcher(uri);
      return dir.find() ? dir.group(1) : null;
    }).filter(ALLOWED::containsKey);
  }
}

package io.zmesh.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The rules of docs/protocol.md a conformance test holds, by their tags ({@code "W-4"}).
 * {@link CoverageTest} checks that every tag of the page is held by some test.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Checks {
  String[] value();
}

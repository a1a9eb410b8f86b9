// When the build of the user's image fails: an error annotation on the user's own Dockerfile,
// at the instruction the build stopped at, showing that instruction as the user wrote it
// (BuildKit's own excerpt shows the rewritten, emulator-wrapped line of a temporary file).
import path from 'node:path';
import * as core from '@actions/core';
import { findFailedInstruction } from '../dockerfile/build-error.js';

export interface BuildFailureAnnotation {
  readonly message: string;
  readonly properties: core.AnnotationProperties;
}

/**
 * The annotation for a failed build of `userFile` (whose text is `userText`) from what the
 * builder printed, or undefined when the output names no instruction of the file.
 */
export function buildFailureAnnotation(
  output: string,
  userFile: string,
  userText: string,
  workspace: string,
  toUserLine?: (line: number) => number,
): BuildFailureAnnotation | undefined {
  const failed = findFailedInstruction(output, userText, toUserLine);
  if (!failed) return undefined;
  const rel = path.relative(workspace, userFile);
  // Annotations name files relative to the repository; one outside it gets none.
  const inWorkspace = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const shown = inWorkspace ? rel.split(path.sep).join('/') : userFile;
  const width = String(failed.endLine).length;
  const excerpt = failed.text
    .split('\n')
    .map((l, k) => `${String(failed.line + k).padStart(width)} | ${l}`)
    .join('\n');
  return {
    message: `${failed.message}\n${excerpt}`,
    properties: {
      title: `${failed.keyword} failed at ${shown}:${failed.line}`,
      ...(inWorkspace ? { file: shown, startLine: failed.line, endLine: failed.endLine } : {}),
    },
  };
}

/**
 * Report a failed build of `userFile` as an error annotation on the instruction it stopped at.
 * `output` is the builder's stdout and stderr; `toUserLine` maps the builder's line numbers to the
 * user's file (see findFailedInstruction). Best effort: never throws; returns whether an
 * annotation was made.
 */
export function annotateBuildFailure(
  output: string,
  userFile: string,
  userText: string,
  workspace: string,
  report: (message: string, properties: core.AnnotationProperties) => void = core.error,
  toUserLine?: (line: number) => number,
): boolean {
  let annotation: BuildFailureAnnotation | undefined;
  try {
    annotation = buildFailureAnnotation(output, userFile, userText, workspace, toUserLine);
  } catch {
    return false; // the build's own error is what matters; this only adds to it
  }
  if (!annotation) return false;
  report(annotation.message, annotation.properties);
  return true;
}

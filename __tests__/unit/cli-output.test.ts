import { describe, expect, it } from '@jest/globals';
import { renderWorkflowLine, workflowLineRenderer } from '../../src/cli-output.js';

describe('renderWorkflowLine', () => {
  it('shows groups as headings and drops their ends', () => {
    expect(renderWorkflowLine('::group::Compile qemu-aarch64', false)).toBe('==> Compile qemu-aarch64');
    expect(renderWorkflowLine('::endgroup::', false)).toBeUndefined();
  });

  it('names warnings, errors and notices, with or without properties, unescaped', () => {
    expect(renderWorkflowLine('::warning::Cache save failed: 50%25 done%0Asecond line', false)).toBe(
      'warning: Cache save failed: 50% done\nsecond line',
    );
    expect(renderWorkflowLine('::error title=Build,file=Dockerfile::RUN failed', false)).toBe(
      'error: RUN failed',
    );
    expect(renderWorkflowLine('::notice::hi', false)).toBe('notice: hi');
  });

  it('shows debug lines only when asked', () => {
    expect(renderWorkflowLine('::debug::key parts', false)).toBeUndefined();
    expect(renderWorkflowLine('::debug::key parts', true)).toBe('debug: key parts');
  });

  it('drops state and masks, and leaves ordinary lines and unknown commands alone', () => {
    expect(renderWorkflowLine('::save-state name=x::1', false)).toBeUndefined();
    expect(renderWorkflowLine('::add-mask::secret', false)).toBeUndefined();
    expect(renderWorkflowLine('Emulator cache key anyarch-qemu-aarch64-10.2.2', false)).toBe(
      'Emulator cache key anyarch-qemu-aarch64-10.2.2',
    );
    expect(renderWorkflowLine('qemu-path=/x', false)).toBe('qemu-path=/x');
    expect(renderWorkflowLine('::stop-commands::tok', false)).toBe('::stop-commands::tok');
    expect(renderWorkflowLine('a :: b', false)).toBe('a :: b');
  });
});

describe('workflowLineRenderer', () => {
  it('shows fenced output as it is, without the fence, and renders again after it', () => {
    const render = workflowLineRenderer(false);
    const lines = ['::group::Build', '::stop-commands::f00d', '::error::theirs', '::f00d::', '::error::ours'];
    expect(lines.map(render)).toEqual(['==> Build', undefined, '::error::theirs', undefined, 'error: ours']);
  });
});

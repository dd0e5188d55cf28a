import { createContext, createElement, forwardRef, useContext, useEffect, useId, useMemo, useRef, useState, type Dispatch, type InputHTMLAttributes, type ReactNode, type Ref, type SetStateAction } from 'react';

/**
 * What GraphiQL's docs pane takes from @headlessui/react for its search box (Combobox,
 * ComboboxInput, ComboboxOptions, ComboboxOption), as a small combobox of its own: web-build.js
 * resolves `@headlessui/react` here, about 30 KiB gzipped less on GraphiQL's page (headlessui with
 * its virtual list, react-aria and floating-ui pieces, all for this one box). It keeps what the
 * search uses: the ARIA combobox pattern (input role="combobox", a listbox of options, the active
 * one named by aria-activedescendant), Up/Down to move, Enter or a click to choose, and the
 * `data-headlessui-state="active"` attribute GraphiQL's stylesheet highlights.
 */

interface ComboboxState {
  onChange: (value: unknown) => void;
  listboxId: string;
  activeId: string | null;
  setActiveId: Dispatch<SetStateAction<string | null>>;
  /** Each option's value by its element id (options register as they render). */
  values: Map<string, unknown>;
}

const Context = createContext<ComboboxState | null>(null);

function useCombobox(): ComboboxState {
  const state = useContext(Context);
  if (!state) throw new Error('a Combobox part outside a Combobox');
  return state;
}

type RootProps = { as?: string; onChange: (value: unknown) => void; children?: ReactNode } & Record<string, unknown>;

export function Combobox({ as = 'div', onChange, children, ...rest }: RootProps) {
  const listboxId = useId();
  const [activeId, setActiveId] = useState<string | null>(null);
  const values = useRef(new Map<string, unknown>()).current;
  const state = useMemo(() => ({ onChange, listboxId, activeId, setActiveId, values }), [onChange, listboxId, activeId, values]);
  return createElement(Context.Provider, { value: state }, createElement(as, rest, children));
}

/** The options in the order they are shown (the list's own order in the page). */
function optionIds(listboxId: string): string[] {
  const list = document.getElementById(listboxId);
  return list ? Array.from(list.querySelectorAll('[role="option"]'), (el) => el.id) : [];
}

export const ComboboxInput = forwardRef(function ComboboxInput(props: InputHTMLAttributes<HTMLInputElement>, ref: Ref<HTMLInputElement>) {
  const { onChange, listboxId, activeId, setActiveId, values } = useCombobox();
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    props.onKeyDown?.(e);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const ids = optionIds(listboxId);
      if (ids.length === 0) return;
      const at = activeId ? ids.indexOf(activeId) : -1;
      const next = e.key === 'ArrowDown' ? (at + 1) % ids.length : (at <= 0 ? ids.length : at) - 1;
      setActiveId(ids[next]);
      document.getElementById(ids[next])?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter' && activeId && values.has(activeId)) {
      e.preventDefault();
      onChange(values.get(activeId));
    } else if (e.key === 'Escape') {
      setActiveId(null);
    }
  };
  return (
    <input
      {...props}
      ref={ref}
      role="combobox"
      aria-autocomplete="list"
      aria-controls={listboxId}
      aria-expanded={document.getElementById(listboxId) !== null}
      aria-activedescendant={activeId ?? undefined}
      onKeyDown={onKeyDown}
      // New text, new options; a blur closes the list: no option stays active.
      onChange={(e) => {
        setActiveId(null);
        props.onChange?.(e);
      }}
      onBlur={(e) => {
        setActiveId(null);
        props.onBlur?.(e);
      }}
    />
  );
});

export function ComboboxOptions({ children, ...rest }: { children?: ReactNode } & Record<string, unknown>) {
  const { listboxId } = useCombobox();
  return <div {...rest} id={listboxId} role="listbox">{children}</div>;
}

export function ComboboxOption({ value, children, ...rest }: { value: unknown; children?: ReactNode } & Record<string, unknown>) {
  const { onChange, activeId, setActiveId, values } = useCombobox();
  const id = useId();
  values.set(id, value);
  // Gone from the list (new results): no longer the active one, nor a value to choose.
  useEffect(() => () => {
    values.delete(id);
    setActiveId((current) => (current === id ? null : current));
  }, [id, values, setActiveId]);
  const active = id === activeId;
  return (
    <div
      {...rest}
      id={id}
      role="option"
      aria-selected={active}
      data-headlessui-state={active ? 'active' : ''}
      // Chosen before the input's blur closes the list.
      onMouseDown={(e) => e.preventDefault()}
      onMouseEnter={() => setActiveId(id)}
      onClick={() => onChange(value)}
    >
      {children}
    </div>
  );
}

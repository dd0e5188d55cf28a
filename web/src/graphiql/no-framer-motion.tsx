import { createElement, forwardRef, type HTMLAttributes, type ReactNode, type Ref } from 'react';

/**
 * What @graphiql/react takes from framer-motion (its only use: `Reorder.Group` and `Reorder.Item`,
 * so that a tab can be dragged into a new order), as the plain list elements they render: web-build.js
 * resolves `framer-motion` to this module, about 40 KiB gzipped less on GraphiQL's page (framer-motion
 * and motion-dom). The one thing lost: tabs no longer drag to reorder; they still open, switch and
 * close as before (their order is the order they were opened in).
 */

/** framer-motion's own props, which a plain element must not receive (React would warn about them). */
interface MotionProps {
  as?: string;
  values?: unknown[];
  onReorder?: (order: unknown[]) => void;
  axis?: 'x' | 'y';
  layoutScroll?: boolean;
  value?: unknown;
  drag?: unknown;
  dragElastic?: unknown;
  dragConstraints?: unknown;
  dragListener?: boolean;
  dragControls?: unknown;
  layout?: unknown;
  children?: ReactNode;
}

type Props = MotionProps & HTMLAttributes<HTMLElement>;

/** Strips framer-motion's props, keeping the element's own (role, className, aria-*, handlers). */
function plainProps(props: Props): HTMLAttributes<HTMLElement> {
  const {
    as: _as, values: _values, onReorder: _onReorder, axis: _axis, layoutScroll: _layoutScroll, value: _value, drag: _drag,
    dragElastic: _dragElastic, dragConstraints: _dragConstraints, dragListener: _dragListener, dragControls: _dragControls, layout: _layout,
    ...rest
  } = props;
  return rest;
}

const Group = forwardRef(function ReorderGroup(props: Props, ref: Ref<HTMLElement>) {
  return createElement(props.as ?? 'ul', { ...plainProps(props), ref });
});

const Item = forwardRef(function ReorderItem(props: Props, ref: Ref<HTMLElement>) {
  return createElement(props.as ?? 'li', { ...plainProps(props), ref });
});

export const Reorder = { Group, Item };

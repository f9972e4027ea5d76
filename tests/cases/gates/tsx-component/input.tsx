import React, { useState } from 'react';
type Props = { title: string; onDone?: () => void };
export function Card<T>({ title, onDone }: Props): JSX.Element {
  const [open, setOpen] = useState<boolean>(false);
  const toggle = (): void => setOpen(!open);
  return (
    <svg:g xlink:href="#x">
      <Header text={title} />
      <button onClick={toggle}>{open ? 'close' : 'open'}</button>
      {onDone && <span>{doneLabel}</span>}
    </svg:g>
  );
}

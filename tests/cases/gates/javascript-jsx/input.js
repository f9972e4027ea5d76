import Button from './Button';
export default function App({ items }) {
  return (
    <div className="app">
      <Button onClick={() => items.pop()}>ok</Button>
      <Missing.Panel />
      {items.map((it) => <span key={it.id}>{it.label}{unknownValue}</span>)}
    </div>
  );
}

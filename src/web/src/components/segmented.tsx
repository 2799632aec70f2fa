/** A choice of a few options shown as one segmented control: real radio buttons (keyboard: arrow keys). */
export function Segmented<T extends string>({ name, label, value, options, onChange }: { name: string; label: string; value: T; options: { value: T; label: string }[]; onChange: (v: T) => void }) {
  return (
    <fieldset class="segmented">
      <legend class="visually-hidden">{label}</legend>
      {options.map((o) => (
        <label key={o.value} class={value === o.value ? 'checked' : ''}>
          <input type="radio" class="visually-hidden" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}

import { useId } from 'react';
import { enumValues, kindOf, type FormValues, type JsonSchema } from './schema-form';

export interface SchemaFieldsProps {
  schema: JsonSchema;
  values: FormValues;
  onChange: (values: FormValues) => void;
  /** Field errors from the API's problem+json `errors[]`, keyed by the form's own paths. */
  errors?: Record<string, string>;
  prefix?: string;
}

function labelOf(name: string, schema: JsonSchema): string {
  if (schema.title) return schema.title;
  // camelCase → "Camel case": the schema's own names, readable.
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function hintOf(schema: JsonSchema): string | undefined {
  const parts = [schema.description];
  if (schema.minLength !== undefined && schema.minLength > 1) parts.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.pattern) parts.push(`pattern ${schema.pattern}`);
  const hint = parts.filter(Boolean).join('; ');
  return hint || undefined;
}

/** A generic form for an object schema: one labelled input per property, required ones marked. */
export function SchemaFields({ schema, values, onChange, errors = {}, prefix = '' }: SchemaFieldsProps) {
  const baseId = useId();
  const entries = Object.entries(schema.properties ?? {});
  if (!entries.length && !prefix) return <p className="muted">No fields.</p>;
  return (
    <>
      {entries.map(([name, prop]) => {
        const path = prefix ? `${prefix}.${name}` : name;
        const id = `${baseId}-${path}`;
        const required = schema.required?.includes(name) ?? false;
        const kind = kindOf(prop);
        const label = labelOf(name, prop);
        if (kind === 'object') {
          return (
            <fieldset key={path} className="fieldset">
              <legend>
                {label}
                {required && <span className="required" aria-hidden="true"> *</span>}
              </legend>
              <SchemaFields schema={prop} values={values} onChange={onChange} errors={errors} prefix={path} />
            </fieldset>
          );
        }
        const error = errors[path];
        const hint = hintOf(prop);
        const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
        const set = (v: string | boolean) => onChange({ ...values, [path]: v });
        const common = { id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, required };
        let input;
        if (kind === 'boolean') {
          input = <input {...common} required={false} type="checkbox" checked={values[path] === true} onChange={(e) => set(e.target.checked)} />;
        } else if (kind === 'enum') {
          input = (
            <select {...common} value={String(values[path] ?? '')} onChange={(e) => set(e.target.value)}>
              <option value="">{required ? 'Choose…' : '(none)'}</option>
              {enumValues(prop)!.map((v) => (
                <option key={String(v)} value={String(v)}>
                  {String(v)}
                </option>
              ))}
            </select>
          );
        } else if (kind === 'json') {
          input = <textarea {...common} rows={3} placeholder="JSON" value={String(values[path] ?? '')} onChange={(e) => set(e.target.value)} />;
        } else if (kind === 'string' && (prop.maxLength ?? 0) > 200) {
          input = <textarea {...common} rows={3} value={String(values[path] ?? '')} onChange={(e) => set(e.target.value)} />;
        } else {
          const numeric = kind === 'number' || kind === 'integer';
          input = (
            <input
              {...common}
              type={numeric ? 'number' : 'text'}
              step={kind === 'integer' ? 1 : numeric ? 'any' : undefined}
              value={String(values[path] ?? '')}
              onChange={(e) => set(e.target.value)}
            />
          );
        }
        return (
          <div key={path} className={`field field-${kind}${error ? ' field-invalid' : ''}`}>
            <label htmlFor={id}>
              {label}
              {required && <span className="required" aria-hidden="true"> *</span>}
              {required && <span className="sr-only"> (required)</span>}
            </label>
            {input}
            {hint && (
              <small id={`${id}-hint`} className="hint">
                {hint}
              </small>
            )}
            {error && (
              <small id={`${id}-error`} className="field-error">
                {error}
              </small>
            )}
          </div>
        );
      })}
    </>
  );
}

/** `errors[]` of a problem, keyed by form path: `data.note` with prefix `data` is `note`. */
export function fieldErrors(errors: { field: string; message: string }[] | undefined, strip?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const field = strip && e.field.startsWith(`${strip}.`) ? e.field.slice(strip.length + 1) : e.field;
    out[field] = out[field] ? `${out[field]}; ${e.message}` : e.message;
  }
  return out;
}

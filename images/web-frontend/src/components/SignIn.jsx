import { useState } from 'react';
import { api } from '../api.js';

// Sign in, or create an account and sign in with it.
export default function SignIn({ onSignedIn }) {
  const [mode, setMode] = useState('signin');
  const [form, setForm] = useState({ name: '', email: '', password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const field = (key) => ({ value: form[key], onChange: (e) => setForm({ ...form, [key]: e.target.value }) });

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      if (mode === 'register') await api.register(form.name, form.email, form.password);
      const { user_id: userId, token } = await api.login(form.email, form.password);
      // The name is for the greeting only; signing in works without it.
      const user = await api.user(userId).catch(() => null);
      onSignedIn({ userId, token, name: user?.name || form.email, email: form.email });
    } catch (err) {
      setError(err.status === 401 ? 'Wrong email or password.' : err.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel signin" onSubmit={submit} aria-label={mode === 'signin' ? 'Sign in' : 'Create account'}>
      <h2>{mode === 'signin' ? 'Sign in' : 'Create an account'}</h2>
      {mode === 'register' ? (
        <label>
          Name
          <input name="name" autoComplete="name" required {...field('name')} />
        </label>
      ) : null}
      <label>
        Email
        <input name="email" type="email" autoComplete="email" required {...field('email')} />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
          required
          {...field('password')}
        />
      </label>
      {error ? <p className="error" role="alert">{error}</p> : null}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Please wait…' : mode === 'signin' ? 'Sign in' : 'Create account'}
      </button>
      <button type="button" className="link" onClick={() => setMode(mode === 'signin' ? 'register' : 'signin')}>
        {mode === 'signin' ? 'New here? Create an account' : 'Have an account? Sign in'}
      </button>
    </form>
  );
}

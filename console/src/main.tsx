// The console's entry: take a token handed over in the URL fragment, then render.
import { render } from 'preact'
import { App } from './app'
import { takeTokenFromFragment } from './session'
import './styles.css'

takeTokenFromFragment()
const root = document.getElementById('app')
if (root !== null) render(<App />, root)

/**
 * The completion scripts: each asks `qemu-binfmt __complete WORD...` for the candidates (one per
 * line, a tab before a description) and a last line naming what the shell completes itself
 * (:files, :dirs, :commands or :none), so that the logic lives once, in usage/complete.ts.
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `# qemu-binfmt completion for bash: eval "$(qemu-binfmt completion bash)" in ~/.bashrc,
# or save it as /usr/share/bash-completion/completions/qemu-binfmt
_qemu_binfmt() {
	local IFS=$'\\n' cur=\${COMP_WORDS[COMP_CWORD]} line directive
	local -a out
	out=($("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
	COMPREPLY=()
	[ \${#out[@]} -gt 0 ] || return 0
	directive=\${out[\${#out[@]}-1]}
	unset 'out[\${#out[@]}-1]'
	[ "$cur" = = ] && cur=
	for line in "\${out[@]}"; do COMPREPLY+=("\${line%%$'\\t'*}"); done
	case $directive in
	:files) COMPREPLY+=($(compgen -f -- "$cur")) ;;
	:dirs) COMPREPLY+=($(compgen -d -- "$cur")) ;;
	:commands) COMPREPLY+=($(compgen -c -- "$cur")) ;;
	esac
}
complete -o filenames -F _qemu_binfmt qemu-binfmt
`;

const ZSH = `#compdef qemu-binfmt
# qemu-binfmt completion for zsh: source <(qemu-binfmt completion zsh) in ~/.zshrc,
# or save it as _qemu-binfmt in a directory of $fpath
_qemu_binfmt() {
	local -a out candidates
	local line directive
	out=("\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
	(( \${#out} )) || return 1
	directive=\${out[-1]}
	for line in "\${(@)out[1,-2]}"; do
		[[ -n $line ]] || continue
		if [[ $line == *$'\\t'* ]]; then candidates+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
		else candidates+=("\${line//:/\\\\:}"); fi
	done
	(( \${#candidates} )) && _describe -t values qemu-binfmt candidates
	case $directive in
	:files) _files ;;
	:dirs) _files -/ ;;
	:commands) _command_names -e ;;
	esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _qemu_binfmt "$@"; else compdef _qemu_binfmt qemu-binfmt; fi
`;

const FISH = `# qemu-binfmt completion for fish: qemu-binfmt completion fish | source, in config.fish,
# or save it as ~/.config/fish/completions/qemu-binfmt.fish
function __qemu_binfmt_complete
	set -l words (commandline -opc) (commandline -ct)
	set -l out ($words[1] __complete $words[2..] 2>/dev/null)
	test (count $out) -gt 0; or return
	printf '%s\\n' $out[1..-2]
	switch $out[-1]
		case :files
			__fish_complete_path (commandline -ct)
		case :dirs
			__fish_complete_directories (commandline -ct)
		case :commands
			complete -C (commandline -ct)
	end
end
complete -c qemu-binfmt -f -a '(__qemu_binfmt_complete)'
`;

export const COMPLETION_SCRIPTS: Record<Shell, string> = { bash: BASH, zsh: ZSH, fish: FISH };
